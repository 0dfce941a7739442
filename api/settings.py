"""Configuration: defaults, then the environment, then what the caller (a test) passes."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": f"sqlite:///{PROJECT_ROOT / 'instance' / 'workflow.db'}",
    "REDIS_URL": None,  # None: no Redis configured; /healthz reports it missing
    "SECRET_KEY": None,
    "WF_DEMO": False,
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    "TOKEN_LIFETIME_HOURS": 12,
    "RQ_QUEUE": "workflow",
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

_FROM_ENVIRONMENT = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "WF_DEMO")
_TRUE = {"1", "true", "yes", "on"}


def resolve_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    config = dict(DEFAULTS)
    for name in _FROM_ENVIRONMENT:
        value = os.environ.get(name)
        if value:
            config[name] = value
    config["WF_DEMO"] = str(config["WF_DEMO"]).lower() in _TRUE
    if config["WF_DEMO"]:
        config["SESSION_COOKIE_SECURE"] = False
    config.update(overrides or {})
    if not config["SECRET_KEY"]:
        if not (config["WF_DEMO"] or config.get("TESTING")):
            raise RuntimeError("SECRET_KEY must be set outside demo mode (设置 SECRET_KEY 环境变量)")
        config["SECRET_KEY"] = "demo-only-secret-key"  # noqa: S105  (demo and tests only, refused above otherwise)
    return config
