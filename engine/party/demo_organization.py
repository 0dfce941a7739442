"""The demo organisation and accounts that `make run` seeds when WF_DEMO=1 and the database is empty.

Every demo account has the password `demo`; they are refused outside demo mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import SYSTEM_CLOCK, Clock
from engine.models import MembershipStatus, Organization, OrganizationKind, PartyStanding, Person, Role
from engine.people.accounts import hash_password
from engine.people.organizations import create_organization, create_person, grant_role

DEMO_PASSWORD = "demo"  # noqa: S105  (the demo's published password)

# username -> (display name, [(organisation label, role)])
DEMO_PEOPLE: dict[str, tuple[str, list[tuple[str, Role]]]] = {
    "admin": ("系统管理员", [("committee", Role.ADMIN)]),
    "owner": ("组织员 周明", [("committee", Role.PROCESS_OWNER)]),
    "auditor": ("纪检委员 吴刚", [("committee", Role.AUDITOR)]),
    "drafter": ("党务干事 李华", [("branch1", Role.DRAFTER), ("branch1", Role.MEMBER)]),
    "secretary": ("支部书记 王芳", [("branch1", Role.BRANCH_SECRETARY), ("branch1", Role.MEMBER)]),
    "reviewer": ("保密审查员 赵强", [("branch1", Role.CONFIDENTIALITY_REVIEWER), ("branch1", Role.MEMBER)]),
    "committee": ("党委委员 陈静", [("committee", Role.COMMITTEE_MEMBER)]),
    "member1": ("党员 刘洋", [("branch1", Role.MEMBER), ("group1", Role.MEMBER)]),
    "member2": ("党员 孙丽", [("branch1", Role.MEMBER), ("group1", Role.MEMBER)]),
    "member3": ("党员 郑凯", [("branch1", Role.MEMBER)]),
    "member4": ("党员 冯敏", [("branch2", Role.MEMBER)]),
    "member5": ("党员 何军", [("branch2", Role.MEMBER), ("branch2", Role.BRANCH_SECRETARY)]),
    "member6": ("党员 钱涛", [("branch1", Role.MEMBER)]),
    "applicant1": ("入党申请人 张伟", []),
    "applicant2": ("入党申请人 李娜", []),
    "applicant3": ("入党申请人 王磊", []),
    "applicant4": ("入党申请人 陈晨", []),
}

# Everyone in the demo organisation is a full member except the applicants (and the system account);
# 钱涛 is under 留党察看 until mid-2027: no vote, and he cannot sponsor an applicant.
NOT_MEMBERS = {"admin", "applicant1", "applicant2", "applicant3", "applicant4"}
FULL_SINCE = date(2010, 7, 1)
UNDER_DISCIPLINE = {"member6": date(2027, 6, 30)}


@dataclass(frozen=True)
class DemoOrganization:
    committee: Organization
    branch1: Organization
    branch2: Organization
    group1: Organization


def database_is_empty(session: Session) -> bool:
    return session.scalar(select(Organization.id).limit(1)) is None and session.scalar(select(Person.id).limit(1)) is None


def seed_demo(session: Session, clock: Clock = SYSTEM_CLOCK) -> DemoOrganization:
    """Create the demo tree and accounts; the caller commits."""
    committee = create_organization(session, "示范单位机关党委", OrganizationKind.PARTY_COMMITTEE, clock=clock)
    branch1 = create_organization(session, "第一党支部", OrganizationKind.BRANCH, committee.id, clock=clock)
    branch2 = create_organization(session, "第二党支部", OrganizationKind.BRANCH, committee.id, clock=clock)
    group1 = create_organization(session, "第一党支部第一党小组", OrganizationKind.GROUP, branch1.id, clock=clock)
    tree = DemoOrganization(committee, branch1, branch2, group1)
    password_hash = hash_password(DEMO_PASSWORD)
    for username, (display_name, roles) in DEMO_PEOPLE.items():
        person = create_person(session, username, display_name, clock=clock)
        person.password_hash = password_hash
        for label, role in roles:
            grant_role(session, person.id, getattr(tree, label).id, role, clock=clock)
        if username not in NOT_MEMBERS:
            session.add(
                PartyStanding(
                    person_id=person.id,
                    status=MembershipStatus.FULL,
                    full_since=FULL_SINCE,
                    on_probation_discipline_until=UNDER_DISCIPLINE.get(username),
                    updated_at=clock.now(),
                )
            )
    session.flush()
    return tree
