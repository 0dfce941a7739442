"""Claiming one timer row for firing: locked, skipped if another worker holds it."""

from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Timer


class FireOutcome(enum.StrEnum):
    FIRED = "fired"
    EARLY = "early"  # not due yet: the bell rang early; ring again at the due time
    BUSY = "busy"  # another worker holds the row right now
    ALREADY_DONE = "already_done"  # fired or cancelled before
    DEFERRED = "deferred"  # the instance is suspended or stopped by an incident
    STALE = "stale"  # the timer event no longer waits (its task ended another way)


def lock_timer(session: Session, timer_id: int) -> Timer | None:
    # SKIP LOCKED (PostgreSQL): a second worker given the same timer moves on instead of queueing.
    return session.scalars(
        select(Timer).where(Timer.id == timer_id).with_for_update(skip_locked=True).execution_options(populate_existing=True)
    ).one_or_none()
