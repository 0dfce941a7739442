"""Make SpiffWorkflow's timer events read the engine's clock instead of the wall clock.

SpiffWorkflow computes and checks timer due times with `datetime.now(timezone.utc)` inside its
timer module. The engine runs every command under an injected clock (so tests and simulations can
skip months), so that module's `datetime` is replaced, once, with a subclass whose `now()` answers
from the clock of the command running in the current context, and the wall clock otherwise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from engine.clock import Clock

_CURRENT_CLOCK: ContextVar[Clock | None] = ContextVar("wf_current_clock", default=None)


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        clock = _CURRENT_CLOCK.get()
        if clock is None:
            return datetime.now(tz)
        moment = clock.now().replace(tzinfo=UTC)  # engine clocks give naive UTC
        return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


def install() -> None:
    """Idempotent: point SpiffWorkflow's timer module at the clocked datetime."""
    if spiff_timer.datetime is not _ClockedDatetime:
        spiff_timer.datetime = _ClockedDatetime


@contextlib.contextmanager
def running_on(clock: Clock) -> Iterator[None]:
    install()
    token = _CURRENT_CLOCK.set(clock)
    try:
        yield
    finally:
        _CURRENT_CLOCK.reset(token)


class _NotBefore:
    """A clock that never reads earlier than `floor`."""

    def __init__(self, clock: Clock, floor: datetime):
        self._clock, self._floor = clock, floor

    def now(self) -> datetime:
        return max(self._clock.now(), self._floor)


@contextlib.contextmanager
def firing_due(clock: Clock, due_at: datetime) -> Iterator[None]:
    """Run a due timer's firing with the library's clock past `due_at`.

    The engine calls a timer due at its due time; SpiffWorkflow fires one only when its due time is
    strictly earlier than now, so a timer fired at exactly that moment would be marked fired while
    its event kept waiting for good.
    """
    with running_on(_NotBefore(clock, due_at + timedelta(microseconds=1))):
        yield


def to_naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
