"""Settings: the one module that reads the environment, for the web app, the RQ worker, the timer
delivery daemon and the `make run` launcher alike; and the Flask configuration `create_app` builds
from them (defaults, then the settings, then what the caller, a test, passes).

- `DATABASE_URL`: the database (app, worker, daemon, launcher); default SQLite at instance/workflow.db
- `REDIS_URL`: Redis (app, daemon, launcher); none by default: the app reports it missing on
  /healthz, the launcher starts an embedded one
- `SECRET_KEY`: the app's session key; required outside demo mode
- `WF_DEMO`: demo mode (app, launcher) when 1, true, yes or on
- `PORT`: the web server's port (launcher); default 5000
- `WF_QUEUE`: the RQ queue of the timer jobs (app, daemon, launcher); default the engine's QUEUE_NAME
- `WF_INSTANCE_DIR`: where the daemon keeps its delivery lock; default instance/ in the project
- `WF_EVALUATORS`: how many sandbox evaluator processes run scripts and expressions (app, worker,
  daemon); default 2
- `WF_EVALUATOR_MEMORY_MB`: each evaluator's address-space limit in MiB; default 512

An empty variable counts as unset. No other module reads configuration from the environment; the
launcher hands its children the environment with the settings it resolved written back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.scripting.evaluator_pool import MIB, EvaluatorLimits
from engine.timers.jobs import QUEUE_NAME

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INSTANCE_DIR = PROJECT_ROOT / "instance"
DEFAULT_PORT = 5000
DEFAULT_LIMITS = EvaluatorLimits()
MIN_EVALUATOR_MEMORY_MB = 128  # an evaluator's interpreter alone takes about 30 MiB
_TRUE = {"1", "true", "yes", "on"}


class SettingsError(ValueError):
    """A variable holds a value that cannot be used; the message names it, Chinese first."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None  # None: no Redis configured (the app reports it missing on /healthz)
    secret_key: str | None
    demo: bool
    port: int
    rq_queue: str
    instance_dir: Path
    evaluators: int = DEFAULT_LIMITS.workers
    evaluator_memory_mb: int = DEFAULT_LIMITS.memory_bytes // MIB

    def evaluator_limits(self) -> EvaluatorLimits:
        return EvaluatorLimits(workers=self.evaluators, memory_bytes=self.evaluator_memory_mb * MIB)


def read_settings(environ: Mapping[str, str] = os.environ, *, instance_dir: Path | None = None) -> Settings:
    """`instance_dir` is the launcher's --instance-dir: it replaces WF_INSTANCE_DIR, and the default
    SQLite database lies in it."""

    def value(name: str) -> str | None:
        return environ.get(name) or None

    database_folder = instance_dir or DEFAULT_INSTANCE_DIR
    return Settings(
        database_url=value("DATABASE_URL") or f"sqlite:///{database_folder / 'workflow.db'}",
        redis_url=value("REDIS_URL"),
        secret_key=value("SECRET_KEY"),
        demo=(value("WF_DEMO") or "").lower() in _TRUE,
        port=_port(value("PORT") or str(DEFAULT_PORT)),
        rq_queue=value("WF_QUEUE") or QUEUE_NAME,
        instance_dir=instance_dir or Path(value("WF_INSTANCE_DIR") or DEFAULT_INSTANCE_DIR),
        evaluators=_whole_number("WF_EVALUATORS", value("WF_EVALUATORS"), DEFAULT_LIMITS.workers, 1),
        evaluator_memory_mb=_whole_number(
            "WF_EVALUATOR_MEMORY_MB", value("WF_EVALUATOR_MEMORY_MB"), DEFAULT_LIMITS.memory_bytes // MIB, MIN_EVALUATOR_MEMORY_MB
        ),
    )


def _whole_number(name: str, text: str | None, default: int, minimum: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or int(text) < minimum:
        raise SettingsError(f"{name}={text!r} 应为不小于 {minimum} 的整数 (must be a whole number of at least {minimum})")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise SettingsError(f"PORT={text!r} 不是有效端口 (is not a valid port)")
    return int(text)


FLASK_DEFAULTS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    "TOKEN_LIFETIME_HOURS": 12,
    "API_TITLE": "党组织工作流引擎 API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "JSON_AS_ASCII": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,  # relaxed only in demo mode, which serves plain http on 127.0.0.1
    "DEBUG": False,
    "WEB_PAGES": True,
    "WTF_CSRF_TIME_LIMIT": 3600,
}


def resolve_config(overrides: Mapping[str, Any] | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """The Flask configuration of `create_app`: the defaults, the settings (read from the environment
    unless given), then the overrides. Raises RuntimeError without a SECRET_KEY outside demo mode."""
    settings = settings or read_settings()
    config = {
        **FLASK_DEFAULTS,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "SECRET_KEY": settings.secret_key,
        "WF_DEMO": settings.demo,
        "RQ_QUEUE": settings.rq_queue,
        "EVALUATOR_LIMITS": settings.evaluator_limits(),
    }
    if settings.demo:
        config["SESSION_COOKIE_SECURE"] = False
    config.update(overrides or {})
    if not config["SECRET_KEY"]:
        if not (config["WF_DEMO"] or config.get("TESTING")):
            raise RuntimeError("SECRET_KEY must be set outside demo mode (设置 SECRET_KEY 环境变量)")
        config["SECRET_KEY"] = "demo-only-secret-key"  # noqa: S105  (demo and tests only, refused above otherwise)
    return config
