"""民主测评: an anonymous ballot as counters per appraised member and grade, receipts of who voted,
and sealed ballots waiting to be counted.

No row ties a voter to a grade: the tallies carry no voter and no time (they are created at zero
when the ballot opens and only ever grow, in batches of several ballots), the receipts carry no
grade and no time, and a sealed ballot carries neither voter nor time, only ciphertext under a key
the database does not hold, filed under a random token (docs/BALLOT_PRIVACY.md).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, LargeBinary, String
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
    # Ballots already added to the tallies; the receipts minus these are the ones still sealed.
    ballots_counted: Mapped[int] = mapped_column(default=0)


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


class SealedBallot(Base):
    """One ballot cast and not yet counted: sealed grades under a random token, without voter or time.

    The table has no rowid on SQLite, so its rows lie in token order, not in the order they came."""

    __tablename__ = "appraisal_sealed_ballots"
    __table_args__ = ({"sqlite_with_rowid": False},)

    instance_id: Mapped[int] = mapped_column(ForeignKey("appraisal_ballots.instance_id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
