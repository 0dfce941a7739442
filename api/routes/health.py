"""GET /healthz: 200 once the database, Redis and at least one worker answer; 503 before."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from api.http.database import db_session

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    status = {"db": _database_ok(), "redis": False, "workers": 0}
    status.update(_redis_status())
    healthy = status["db"] and status["redis"] and status["workers"] > 0
    return jsonify(status), 200 if healthy else 503


def _database_ok() -> bool:
    try:
        db_session().execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not up"; the body says which part
        current_app.logger.warning("healthz: database unreachable", exc_info=True)
        return False


def _redis_status() -> dict[str, Any]:
    connection = current_app.extensions.get("wf_redis")
    if connection is None:
        return {}
    try:
        connection.ping()
    except Exception:
        current_app.logger.warning("healthz: redis unreachable")
        return {}
    from rq import Worker

    return {"redis": True, "workers": len(Worker.all(connection=connection))}
