"""Organisations (党委 → 党总支 → 党支部 → 党小组), people, and the roles people hold in them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, string_enum


class OrganizationKind(enum.StrEnum):
    PARTY_COMMITTEE = "party_committee"  # 党委
    GENERAL_BRANCH = "general_branch"  # 党总支
    BRANCH = "branch"  # 党支部
    GROUP = "group"  # 党小组


# Which kind may sit directly under which: the tree only ever narrows.
ALLOWED_PARENT_KINDS: dict[OrganizationKind, set[OrganizationKind]] = {
    OrganizationKind.PARTY_COMMITTEE: {OrganizationKind.PARTY_COMMITTEE},
    OrganizationKind.GENERAL_BRANCH: {OrganizationKind.PARTY_COMMITTEE},
    OrganizationKind.BRANCH: {OrganizationKind.PARTY_COMMITTEE, OrganizationKind.GENERAL_BRANCH},
    OrganizationKind.GROUP: {OrganizationKind.BRANCH},
}


class Role(enum.StrEnum):
    MEMBER = "member"  # 党员
    DRAFTER = "drafter"  # 党务干事
    BRANCH_SECRETARY = "branch_secretary"  # 支部书记
    COMMITTEE_MEMBER = "committee_member"  # 党委委员
    CONFIDENTIALITY_REVIEWER = "confidentiality_reviewer"  # 保密审查员
    PROCESS_OWNER = "process_owner"  # 组织员
    AUDITOR = "auditor"  # 纪检委员
    ADMIN = "admin"  # 管理员


ROLE_TITLES_ZH: dict[Role, str] = {
    Role.MEMBER: "党员",
    Role.DRAFTER: "党务干事",
    Role.BRANCH_SECRETARY: "支部书记",
    Role.COMMITTEE_MEMBER: "党委委员",
    Role.CONFIDENTIALITY_REVIEWER: "保密审查员",
    Role.PROCESS_OWNER: "组织员",
    Role.AUDITOR: "纪检委员",
    Role.ADMIN: "管理员",
}


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganizationKind] = mapped_column(string_enum(OrganizationKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # The regulation version the organisation chose per rule set, e.g. {"member_development": "2014"};
    # a rule set it did not choose follows the version in force.
    rule_set_choices: Mapped[dict[str, str] | None] = mapped_column(JSON)

    parent: Mapped[Organization | None] = relationship(remote_side=[id])

    def ancestors(self) -> list[Organization]:
        """Parent first, root last."""
        chain: list[Organization] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    # argon2 hash; None means the person cannot log in (e.g. a member known only by records).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Raised by signing out: a browser session made before then no longer counts (web/browser_session.py).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime)

    roles: Mapped[list[RoleAssignment]] = relationship(back_populates="person")


class RoleAssignment(Base):
    """A person holding one role within one organisation."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("person_id", "organization_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[Role] = mapped_column(string_enum(Role))

    person: Mapped[Person] = relationship(back_populates="roles")
    organization: Mapped[Organization] = relationship()
