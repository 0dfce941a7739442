"""The RQ worker `make run` starts (`rq worker --worker-class api.worker.TimerWorker`): the engine's
timer worker, composed with the process packages its jobs need and the database of the settings
(DATABASE_URL, api/settings.py). Its jobs ring the doorbell through the worker's own Redis
connection, the `--url` it was started with."""
from __future__ import annotations

from api.settings import read_settings
from engine.procedures.extensions import ProcessExtensions
from engine.timers import jobs
from processes import EXTENSIONS


class TimerWorker(jobs.TimerWorker):
    process_extensions: ProcessExtensions = EXTENSIONS

    def job_database_url(self) -> str:
        return read_settings().database_url
