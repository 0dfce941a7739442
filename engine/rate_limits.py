"""Rate limits counted in the database: every web process sees the same counts, and a restart
forgets none.

An attempt is recorded and committed before it is counted. Two processes racing at the limit then
each count both attempts, so together they never let through more than the limit allows; an
attempt refused still counts, so a client that keeps hammering stays refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.models import RateLimitHit


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` attempts per client within `window` in one bucket (e.g. one disclosure)."""

    bucket: str
    limit: int
    window: timedelta
    message: str


def count_attempt(session: Session, clock: Clock, client: str, limits: Sequence[RateLimit]) -> RateLimit | None:
    """Record one attempt by `client` against each limit and commit; return the first limit it
    goes beyond, if any. The caller's session must hold nothing else uncommitted."""
    now = clock.now()
    for rate in limits:
        session.execute(delete(RateLimitHit).where(RateLimitHit.bucket == rate.bucket, RateLimitHit.hit_at <= now - rate.window))
    session.add_all(RateLimitHit(bucket=rate.bucket, client=client[:80], hit_at=now) for rate in limits)
    session.commit()
    for rate in limits:
        attempts = session.scalar(
            select(func.count(RateLimitHit.id)).where(
                RateLimitHit.bucket == rate.bucket, RateLimitHit.client == client[:80], RateLimitHit.hit_at > now - rate.window
            )
        )
        if attempts is not None and attempts > rate.limit:
            return rate
    return None
