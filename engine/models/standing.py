"""Where a person stands in the party, and the dated records each procedural step leaves.

A standing row exists for every member and former member the engine knows: probationary or full,
under 留党察看 or not, and barred from re-entry for five years after 劝退 or 除名. The sponsors of an
applicant, the voters of a branch meeting and the members of an appraisal are read from it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, string_enum


class MembershipStatus(enum.StrEnum):
    PROBATIONARY = "probationary"  # 预备党员
    FULL = "full"  # 正式党员
    PROBATION_CANCELLED = "probation_cancelled"  # 取消预备党员资格
    ADVISED_TO_LEAVE = "advised_to_leave"  # 劝其退党
    STRUCK_OFF = "struck_off"  # 除名


MEMBERSHIP_TITLES_ZH: dict[MembershipStatus, str] = {
    MembershipStatus.PROBATIONARY: "预备党员",
    MembershipStatus.FULL: "正式党员",
    MembershipStatus.PROBATION_CANCELLED: "已取消预备党员资格",
    MembershipStatus.ADVISED_TO_LEAVE: "已劝其退党",
    MembershipStatus.STRUCK_OFF: "已除名",
}


class PartyStanding(Base):
    __tablename__ = "party_standings"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    status: Mapped[MembershipStatus] = mapped_column(string_enum(MembershipStatus, 24), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    probation_started_on: Mapped[date | None] = mapped_column(Date)  # the branch meeting that passed them
    probation_ends_on: Mapped[date | None] = mapped_column(Date)
    probation_extended: Mapped[bool] = mapped_column(default=False)
    full_since: Mapped[date | None] = mapped_column(Date)  # 党龄 counts from here
    # 留党察看: a member whose rights are not yet restored cannot sponsor an applicant.
    on_probation_discipline_until: Mapped[date | None] = mapped_column(Date)
    reentry_barred_until: Mapped[date | None] = mapped_column(Date)
    reentry_bar_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class StepRecord(Base):
    """One step of a procedure as the file will show it: which step, about whom, on what date,
    which documents it produced, and who recorded it."""

    __tablename__ = "step_records"
    __table_args__ = (Index("ix_step_records_subject", "subject_person_id", "record_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    process_key: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(200))
    documents: Mapped[list[str]] = mapped_column(JSON)
    record_date: Mapped[date] = mapped_column(Date)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
