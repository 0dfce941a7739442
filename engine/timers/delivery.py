"""Delivering timers on time: a fine-grained ticker and the reconciler, run in one elected process.

- The ticker pops timers whose due time has come from Redis' sorted set (rung by commands after
  they commit) and enqueues one RQ job each, with a deterministic id, every TICK_S seconds. RQ's
  own scheduler stores due times truncated to whole seconds and polls once a second, which would
  make timers up to a second early or late; this loop keeps lateness to a tick.
- The reconciler reads the timer rows (the truth) every RECONCILE_S seconds and at start-up, and
  rings again every pending timer that is due soon and has no live job: after FLUSHALL, a Redis
  restart without persistence, or a worker killed while firing, nothing is lost. A row fires at
  most once whatever the bells do: firing moves it from pending to fired under a row lock.
- Exactly one such process runs per deployment: a PostgreSQL advisory lock, a file lock on SQLite.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import redis
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import Engine, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SYSTEM_CLOCK, Clock
from engine.definitions.spec_cache import SpecCache
from engine.instances.service import InstanceService
from engine.models import InstanceStatus, ProcessInstance, Timer, TimerState
from engine.procedures.extensions import ProcessExtensions
from engine.timers.doorbell import due_key, epoch
from engine.timers.jobs import enqueue_fire, timer_job_id

TICK_S = 0.05
RECONCILE_S = 2.0
LOOKAHEAD = timedelta(seconds=30)
STALE_JOB_AFTER = timedelta(seconds=20)
ADVISORY_LOCK_KEY = 7_200_431_201  # any constant shared by every deployment's processes
_log = logging.getLogger(__name__)

# Pops members due by ARGV[1] atomically, at most ARGV[2] of them.
_POP_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
"""


def bell_member(timer_id: int, attempt: int) -> str:
    return f"{timer_id}:{attempt}"


class TimerDelivery:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        connection: redis.Redis,
        queue_name: str,
        clock: Clock = SYSTEM_CLOCK,
        stale_job_after: timedelta = STALE_JOB_AFTER,
    ):
        self.sessions = sessions
        self.connection = connection
        self.queue = Queue(queue_name, connection=connection)
        self.key = due_key(queue_name)
        self.clock = clock
        self.stale_job_after = stale_job_after
        self._pop_due = connection.register_script(_POP_DUE)

    def tick(self, batch: int = 500) -> int:
        """Enqueue a job for every bell whose time has come; returns how many."""
        due = self._pop_due(keys=[self.key], args=[epoch(self.clock.now()), batch])
        for member in due:
            timer_id, attempt = (int(part) for part in member.decode().split(":"))
            enqueue_fire(self.queue, timer_id, attempt)
        return len(due)

    def reconcile(self) -> int:
        """Ring again every pending timer due within the lookahead that has no live job."""
        now = self.clock.now()
        with self.sessions() as session:
            # Timers of suspended instances or instances with an incident wait for them to run again.
            timers = session.scalars(
                select(Timer)
                .outerjoin(ProcessInstance, ProcessInstance.id == Timer.instance_id)
                .where(
                    Timer.state == TimerState.PENDING,
                    Timer.due_at <= now + LOOKAHEAD,
                    or_(Timer.instance_id.is_(None), ProcessInstance.status == InstanceStatus.RUNNING),
                )
            ).all()
            rung = 0
            for timer in timers:
                if self._has_live_bell(timer, now):
                    continue
                if timer.due_at <= now and self._job_exists(timer):
                    timer.attempts += 1  # the old job was lost mid-way: a fresh id for the new one
                self.connection.zadd(self.key, {bell_member(timer.id, timer.attempts): epoch(timer.due_at)})
                rung += 1
            session.commit()
        return rung

    def run(self, stop: Callable[[], bool] | None = None) -> None:
        last_reconcile = 0.0
        while stop is None or not stop():
            started = time.monotonic()
            if started - last_reconcile >= RECONCILE_S:
                self._safely(self.reconcile)
                last_reconcile = started
            self._safely(self.tick)
            time.sleep(max(0.0, TICK_S - (time.monotonic() - started)))

    def _has_live_bell(self, timer: Timer, now: datetime) -> bool:
        if self.connection.zscore(self.key, bell_member(timer.id, timer.attempts)) is not None:
            return True
        if not self._job_exists(timer):
            return False
        job = Job.fetch(timer_job_id(timer.id, timer.attempts), connection=self.connection)
        status = job.get_status(refresh=False)
        if status in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
            return True
        if status == JobStatus.STARTED and job.started_at is not None:
            return now - job.started_at.replace(tzinfo=None) < self.stale_job_after
        return False  # finished, failed, stopped or cancelled while the row is still pending

    def _job_exists(self, timer: Timer) -> bool:
        return bool(self.connection.exists(Job.key_for(timer_job_id(timer.id, timer.attempts))))

    @staticmethod
    def _safely(step: Callable[[], int]) -> None:
        try:
            step()
        except (redis.RedisError, OSError):
            _log.warning("timer delivery: Redis unavailable; retrying", exc_info=True)
        except Exception:
            _log.exception("timer delivery step failed; retrying")


@contextmanager
def sole_deliverer(engine: Engine, lock_dir: Path) -> Iterator[bool]:
    """Yields True in exactly one process per database; the others get False and must stay idle."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}).scalar())
            try:
                yield held
            finally:
                if held:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
        return
    with _file_lock(lock_dir / "timer-delivery.lock") as held:
        yield held


@contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = path.open("a")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = True
        except BlockingIOError:
            held = False
        yield held
    finally:
        handle.close()  # closing releases the lock


def fire_due_timers(
    sessions: sessionmaker[Session],
    clock: Clock,
    extensions: ProcessExtensions,
    limit: int = 10_000,
    specs: SpecCache | None = None,
) -> list[tuple[int, str]]:
    """Fire every pending timer that is due, in due order, until none is left (firing one may make
    another due). Without Redis: tests with an injected clock, and a last-resort sweep."""
    fired: list[tuple[int, str]] = []
    specs = specs or SpecCache()
    while len(fired) < limit:
        with sessions() as session:
            due = session.scalars(
                select(Timer.id)
                .where(Timer.state == TimerState.PENDING, Timer.due_at <= clock.now())
                .order_by(Timer.due_at, Timer.id)
                .limit(limit - len(fired))
            ).all()
            outcomes = [
                (timer_id, InstanceService(session, clock=clock, specs=specs, extensions=extensions).fire_timer(timer_id).value)
                for timer_id in due
            ]
        fired.extend(outcomes)
        if not any(outcome == "fired" for _, outcome in outcomes):
            return fired
    return fired
