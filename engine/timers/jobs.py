"""RQ jobs, and all RQ customisation. A job takes only ids and works with what its worker hands it.

The engine reads no environment: the worker class the composition root names on the `rq worker`
command line (api/worker.py) says which database the jobs fire timers in and which process
extensions they run with. The worker builds one connection pool for its process and hands it,
its own Redis connection (the `--url` it was started with) and the extensions to each job it runs.
The job ids in log lines come from the worker's log format (api/worker.py), not from the messages.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass

import redis
from rq import Queue, get_current_job
from rq.executions import Execution
from rq.job import Job
from rq.worker import SimpleWorker
from sqlalchemy.orm import Session, sessionmaker

from engine.audit import anchor_sessions
from engine.audit_checkpoints import AuditAnchor
from engine.db import make_engine, make_session_factory
from engine.errors import Conflict
from engine.instances.service import InstanceService
from engine.procedures.extensions import NO_EXTENSIONS, ProcessExtensions
from engine.timers.doorbell import RedisDoorbell
from engine.timers.firing import FireOutcome

QUEUE_NAME = "workflow"
JOB_TIMEOUT_S = 60
CONFLICT_RETRIES = 8
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    """What a timer job works with, handed in by the worker that runs it."""

    sessions: sessionmaker[Session]
    redis: redis.Redis
    extensions: ProcessExtensions


_job_context: ContextVar[JobContext] = ContextVar("timer_job_context")


class TimerWorker(SimpleWorker):
    """The RQ worker for timer jobs: jobs run in the worker's own process (forking per job made
    1,000 firings take >100 s instead of ~8 s), and naming this class to `rq worker` imports the
    engine at start-up, so the first timer after a start is not late by the import time.

    A subclass names the database its jobs fire timers in and the process extensions they run
    with; each job sees them, with the worker's Redis connection, while it runs."""

    process_extensions: ProcessExtensions = NO_EXTENSIONS
    _context: JobContext | None = None

    def job_database_url(self) -> str:
        """The database the jobs work in: named by the subclass the composition root starts."""
        raise NotImplementedError("a TimerWorker subclass names the jobs' database (see api.worker)")

    def job_audit_anchor(self) -> AuditAnchor:
        """The audit key and checkpoint file of the jobs' audit events: named by the subclass too."""
        raise NotImplementedError("a TimerWorker subclass names the audit key (see api.worker)")

    def job_context(self) -> JobContext:
        if self._context is None:
            database = make_engine(self.job_database_url(), pool_pre_ping=True)
            sessions = anchor_sessions(make_session_factory(database), self.job_audit_anchor())
            self._context = JobContext(sessions, self.connection, self.process_extensions)
        return self._context

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        token = _job_context.set(self.job_context())
        try:
            return super().perform_job(job, queue, execution)
        finally:
            _job_context.reset(token)


def timer_job_id(timer_id: int, attempt: int) -> str:
    return f"wf-timer-{timer_id}-{attempt}"


def enqueue_fire(queue: Queue, timer_id: int, attempt: int) -> None:
    queue.enqueue(
        "engine.timers.jobs.fire_timer_job",
        timer_id,
        job_id=timer_job_id(timer_id, attempt),
        job_timeout=JOB_TIMEOUT_S,
        result_ttl=600,
        failure_ttl=86400,
    )


def fire_timer_job(timer_id: int) -> str:
    job = get_current_job()
    queue = job.origin if job is not None else QUEUE_NAME
    outcome = _fire_with_retries(timer_id, queue)
    if outcome == FireOutcome.EARLY:
        _log.warning("timer %s rang early; the reconciler rings it again", timer_id)
    _log.info("timer %s %s", timer_id, outcome.value)
    return outcome.value


def _fire_with_retries(timer_id: int, queue: str) -> FireOutcome:
    """A conflict is another writer holding the instance or, on SQLite, the database for a moment:
    try again shortly rather than fail the job and wait for the reconciler."""
    context = _current_context()
    for attempt in range(1, CONFLICT_RETRIES + 1):
        with context.sessions() as session:
            service = InstanceService(session, doorbell=RedisDoorbell(context.redis, queue), extensions=context.extensions)
            try:
                return service.fire_timer(timer_id)
            except Conflict:
                if attempt == CONFLICT_RETRIES:
                    raise
        time.sleep(0.01 * attempt)
    raise AssertionError("unreachable")


def _current_context() -> JobContext:
    try:
        return _job_context.get()
    except LookupError:
        raise RuntimeError("timer jobs run in a TimerWorker that names their database and extensions (api.worker)") from None
