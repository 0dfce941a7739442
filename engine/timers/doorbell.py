"""The doorbell: tells the timer delivery loop that a timer row exists and when it is due.

Ringing happens after the commit that wrote the row, so a bell never announces a row that was
rolled back; a bell lost on the way (Redis down, flushed, a crash between commit and ring) is rung
again by the reconciler, which reads the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

import redis


def due_key(queue_name: str) -> str:
    """The sorted set of bells for one queue: "timer id:attempt" -> due time (epoch seconds)."""
    return f"wf:{queue_name}:due"


class Doorbell(Protocol):
    def ring(self, timers: Sequence[tuple[int, datetime]]) -> None: ...


class SilentDoorbell:
    """No Redis: the reconciler (or a test calling fire_due_timers) finds the rows itself."""

    def ring(self, timers: Sequence[tuple[int, datetime]]) -> None:
        return None


class RedisDoorbell:
    def __init__(self, connection: redis.Redis, queue_name: str):
        self.connection = connection
        self.key = due_key(queue_name)

    def ring(self, timers: Sequence[tuple[int, datetime]]) -> None:
        if not timers:
            return
        try:
            # New rows have had no attempt yet: their bell is "id:0".
            self.connection.zadd(self.key, {f"{timer_id}:0": epoch(due) for timer_id, due in timers})
        except redis.RedisError:
            pass  # the row is committed; the reconciler will ring again


def epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()


SILENT_DOORBELL = SilentDoorbell()
