"""The audit checkpoint file as auditors download it, from the API and from the /audit page alike:
the signed lines as written, to keep beside their own copies and compare later."""

from __future__ import annotations

from flask import Response, send_file

from api.http.database import db_session
from api.http.errors import ApiError
from engine.audit import session_anchor

DOWNLOAD_NAME = "audit-checkpoints.jsonl"


def checkpoint_download() -> Response:
    path = session_anchor(db_session()).checkpoint_path
    if not path.is_file():
        raise ApiError(404, "尚未写入审计检查点 (no audit checkpoint has been written yet)")
    response = send_file(path, mimetype="application/x-ndjson", as_attachment=True, download_name=DOWNLOAD_NAME, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
