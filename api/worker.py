"""The RQ worker `make run` starts (`rq worker --worker-class api.worker.TimerWorker`): the engine's
timer worker, composed with the process packages its jobs need and the database of the settings
(DATABASE_URL, api/settings.py). Its jobs ring the doorbell through the worker's own Redis
connection, the `--url` it was started with.

The worker also shows which job wrote each log line: a filter adds the current RQ job's id to
every record (`-` outside a job), and the format prints it. RQ's own lines keep their format; they
name their jobs already.
"""

from __future__ import annotations

import logging
from typing import Any

from rq import get_current_job

from api.settings import audit_anchor, read_settings
from engine.audit_checkpoints import AuditAnchor
from engine.procedures.extensions import ProcessExtensions
from engine.scripting.evaluator_pool import configure_shared_pool
from engine.timers import jobs
from processes import EXTENSIONS

LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s [%(job_id)s] %(message)s"


class JobIdFilter(logging.Filter):
    """Adds `job_id` to each record: the id of the RQ job running now, `-` outside a job."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = get_current_job()
        record.job_id = job.id if job is not None else "-"
        return True


def install_job_logging() -> None:
    """One handler on the root logger, with the job id in its format; the engine logs at INFO."""
    root = logging.getLogger()
    if any(isinstance(f, JobIdFilter) for handler in root.handlers for f in handler.filters):
        return
    handler = logging.StreamHandler()
    handler.addFilter(JobIdFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    logging.getLogger("engine").setLevel(logging.INFO)


class TimerWorker(jobs.TimerWorker):
    process_extensions: ProcessExtensions = EXTENSIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        install_job_logging()
        configure_shared_pool(read_settings().evaluator_limits())
        super().__init__(*args, **kwargs)

    def job_database_url(self) -> str:
        return read_settings().database_url

    def job_audit_anchor(self) -> AuditAnchor:
        return audit_anchor(read_settings())
