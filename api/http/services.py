"""Engine services bound to the current request: its session, the app's clock, caches, sealer and
the process packages' extensions."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from api.http.database import db_session
from engine.definitions.deployment import form_library_from
from engine.instances.service import InstanceService
from engine.procedures.extensions import ProcessExtensions
from engine.sealing import Sealer
from engine.timers.doorbell import SILENT_DOORBELL, RedisDoorbell


def instance_service() -> InstanceService:
    extensions = current_app.extensions
    connection = extensions.get("wf_redis")
    doorbell = RedisDoorbell(connection, current_app.config["RQ_QUEUE"]) if connection is not None else SILENT_DOORBELL
    return InstanceService(
        db_session(),
        clock=extensions["wf_clock"],
        specs=extensions["wf_spec_cache"],
        doorbell=doorbell,
        extensions=process_extensions(),
        sealer=sealer(),
    )


def sealer() -> Sealer:
    """The app's sealer, built once from its SECRET_KEY (engine/sealing.py)."""
    built: Sealer = current_app.extensions["wf_sealer"]
    return built


def process_extensions() -> ProcessExtensions:
    """The step guards, service calls and rule sets of the process packages this app runs."""
    extensions: ProcessExtensions = current_app.extensions["wf_process_extensions"]
    return extensions


def package_folders() -> list[Path]:
    folders: list[Path] = current_app.extensions["wf_package_folders"]
    return folders


def form_library() -> dict[str, bytes]:
    """Every process package's forms, by key: a deploy may take a form its files lack from here."""
    return form_library_from(package_folders())
