"""The worker's log lines name the RQ job that wrote them, without the job's code saying so."""

from __future__ import annotations

import io
import logging

import redis
from rq.job import Job

from api.worker import LOG_FORMAT, JobIdFilter

_log = logging.getLogger("engine.timers.test_job")


def log_something() -> None:
    _log.warning("timer 7 fired")


def test_each_record_carries_the_current_job_id(redis_connection: redis.Redis):
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.addFilter(JobIdFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    _log.addHandler(handler)
    try:
        Job.create(log_something, connection=redis_connection, id="wf-timer-7-0").perform()
        log_something()
    finally:
        _log.removeHandler(handler)

    inside, outside = output.getvalue().splitlines()
    assert inside.endswith("engine.timers.test_job WARNING [wf-timer-7-0] timer 7 fired")
    assert outside.endswith("engine.timers.test_job WARNING [-] timer 7 fired")
