"""Published disclosures (党务公开) and the opinions left on them during the feedback window."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, string_enum


class DisclosureScope(enum.StrEnum):
    SOCIETY = "society"  # 向社会公开
    WHOLE_PARTY = "whole_party"  # 在全党公开
    LOCAL = "local"  # 在本地区、本部门、本单位公开
    SPECIFIC = "specific"  # 对特定党的组织、党员和群众公开


class DisclosureStatus(enum.StrEnum):
    PUBLISHED = "published"
    UNDER_REVIEW = "under_review"  # taken down after an objection, back in review
    ARCHIVED = "archived"


class Disclosure(Base):
    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    scope: Mapped[DisclosureScope] = mapped_column(string_enum(DisclosureScope))
    methods: Mapped[list[str]] = mapped_column(JSON)
    feedback_days: Mapped[int]
    status: Mapped[DisclosureStatus] = mapped_column(string_enum(DisclosureStatus), index=True)
    published_at: Mapped[datetime] = mapped_column(DateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)


class DisclosureOpinion(Base):
    __tablename__ = "disclosure_opinions"

    id: Mapped[int] = mapped_column(primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # None: a member of the public
    author_name: Mapped[str | None] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    is_objection: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)
