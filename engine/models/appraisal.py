"""民主测评: an anonymous ballot as counters per appraised member and grade, and receipts of who voted.

No row ties a voter to a grade: the tallies carry no voter and no time (they are created at zero
when the ballot opens and only ever incremented), the receipts carry no grade and no time.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, string_enum


class BallotStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class AppraisalBallot(Base):
    """The 民主测评 of one appraisal instance: who is appraised, who may vote, open or closed."""

    __tablename__ = "appraisal_ballots"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    status: Mapped[BallotStatus] = mapped_column(string_enum(BallotStatus, 16))
    appraised_ids: Mapped[list[int]] = mapped_column(JSON)
    voter_ids: Mapped[list[int]] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class AppraisalTally(Base):
    __tablename__ = "appraisal_tallies"

    instance_id: Mapped[int] = mapped_column(ForeignKey("appraisal_ballots.instance_id"), primary_key=True)
    appraised_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    grade: Mapped[str] = mapped_column(String(24), primary_key=True)
    votes: Mapped[int] = mapped_column(default=0)


class BallotReceipt(Base):
    """Only that someone has voted (one ballot each): never what, never when."""

    __tablename__ = "appraisal_ballot_receipts"

    instance_id: Mapped[int] = mapped_column(ForeignKey("appraisal_ballots.instance_id"), primary_key=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
