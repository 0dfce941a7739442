"""The RQ worker `make run` starts (`rq worker --worker-class api.worker.TimerWorker`): the engine's
timer worker, composed with the process packages its jobs need."""
from __future__ import annotations

from engine.procedures.extensions import ProcessExtensions
from engine.timers import jobs
from processes import EXTENSIONS


class TimerWorker(jobs.TimerWorker):
    process_extensions: ProcessExtensions = EXTENSIONS
