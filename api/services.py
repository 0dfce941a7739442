"""Engine services bound to the current request: its session, the app's clock and caches."""
from __future__ import annotations

from flask import current_app

from api.database import db_session
from engine.timers.doorbell import SILENT_DOORBELL, RedisDoorbell
from engine.instances.service import InstanceService


def instance_service() -> InstanceService:
    extensions = current_app.extensions
    connection = extensions.get("wf_redis")
    doorbell = RedisDoorbell(connection, current_app.config["RQ_QUEUE"]) if connection is not None else SILENT_DOORBELL
    return InstanceService(db_session(), clock=extensions["wf_clock"], specs=extensions["wf_spec_cache"], doorbell=doorbell)
