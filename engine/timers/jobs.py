"""RQ jobs, and all RQ customisation. A job takes only ids, opens what it needs, logs its job id.

Worker processes read DATABASE_URL and REDIS_URL from the environment (as `rq worker` is started
by `make run`); the connection pool is built once per process. What the process packages add to the
engine reaches a job from its worker: the worker class the composition root names on the `rq worker`
command line carries the extensions (see api/worker.py).
"""
from __future__ import annotations

import functools
import logging
import os
import time
from contextvars import ContextVar

import redis
from rq import Queue, get_current_job
from rq.executions import Execution
from rq.job import Job
from rq.worker import SimpleWorker
from sqlalchemy.orm import Session, sessionmaker

from engine.db import make_engine, make_session_factory
from engine.timers.doorbell import RedisDoorbell
from engine.errors import Conflict
from engine.instances.service import InstanceService
from engine.procedures.extensions import NO_EXTENSIONS, ProcessExtensions
from engine.timers.firing import FireOutcome

QUEUE_NAME = "workflow"
JOB_TIMEOUT_S = 60
CONFLICT_RETRIES = 8
_log = logging.getLogger(__name__)
_job_extensions: ContextVar[ProcessExtensions] = ContextVar("job_extensions")


class TimerWorker(SimpleWorker):
    """The RQ worker for timer jobs: jobs run in the worker's own process (forking per job made
    1,000 firings take >100 s instead of ~8 s), and naming this class to `rq worker` imports the
    engine at start-up, so the first timer after a start is not late by the import time.

    A subclass names the process extensions its jobs run with; each job sees them while it runs."""

    process_extensions: ProcessExtensions = NO_EXTENSIONS

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        token = _job_extensions.set(self.process_extensions)
        try:
            return super().perform_job(job, queue, execution)
        finally:
            _job_extensions.reset(token)


def timer_job_id(timer_id: int, attempt: int) -> str:
    return f"wf-timer-{timer_id}-{attempt}"


def enqueue_fire(queue: Queue, timer_id: int, attempt: int) -> None:
    queue.enqueue(
        "engine.timers.jobs.fire_timer_job", timer_id,
        job_id=timer_job_id(timer_id, attempt), job_timeout=JOB_TIMEOUT_S, result_ttl=600, failure_ttl=86400,
    )


def fire_timer_job(timer_id: int) -> str:
    job = get_current_job()
    queue = job.origin if job is not None else QUEUE_NAME
    outcome = _fire_with_retries(timer_id, queue)
    if outcome == FireOutcome.EARLY:
        _log.warning("job %s: timer %s rang early; the reconciler rings it again", job.id if job else "-", timer_id)
    _log.info("job %s: timer %s %s", job.id if job else "-", timer_id, outcome.value)
    return outcome.value


def _fire_with_retries(timer_id: int, queue: str) -> FireOutcome:
    """A conflict is another writer holding the instance or, on SQLite, the database for a moment:
    try again shortly rather than fail the job and wait for the reconciler."""
    for attempt in range(1, CONFLICT_RETRIES + 1):
        with _sessions()() as session:
            service = InstanceService(session, doorbell=RedisDoorbell(_redis(), queue), extensions=_extensions())
            try:
                return service.fire_timer(timer_id)
            except Conflict:
                if attempt == CONFLICT_RETRIES:
                    raise
        time.sleep(0.01 * attempt)
    raise AssertionError("unreachable")


def _extensions() -> ProcessExtensions:
    try:
        return _job_extensions.get()
    except LookupError:
        raise RuntimeError("timer jobs run in a TimerWorker that names the process extensions (api.worker)") from None


@functools.cache
def _sessions() -> sessionmaker[Session]:
    return make_session_factory(make_engine(os.environ["DATABASE_URL"], pool_pre_ping=True))


@functools.cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])
