"""One error shape for every failure: `{code, status, message, errors?}`.

`code` is a stable machine-readable string, `status` the HTTP status, `message` Chinese first with
English in parentheses, `errors` the fields or BPMN elements at fault. No raw exception text ever
reaches a client; an unexpected one is logged once, its transaction rolled back, and answered 500.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from api.http.validation_messages import translate
from engine.errors import (
    Conflict,
    DeploymentRefused,
    EngineError,
    Forbidden,
    InvalidCommand,
    NotFound,
    ScriptRejected,
    SubmissionRejected,
    TaskRefused,
)

_log = logging.getLogger(__name__)

ENGINE_STATUS: dict[type[EngineError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    InvalidCommand: 409,
    DeploymentRefused: 422,
    SubmissionRejected: 422,
    ScriptRejected: 422,
    TaskRefused: 422,
}

HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式错误 (malformed request)"),
    401: ("unauthorized", "未登录或令牌无效 (missing, expired or invalid token)"),
    403: ("forbidden", "无权执行此操作 (not allowed)"),
    404: ("not_found", "资源不存在 (not found)"),
    405: ("method_not_allowed", "不支持该请求方法 (method not allowed)"),
    409: ("conflict", "与当前状态冲突 (conflicts with the current state)"),
    413: ("too_large", "请求体过大 (request body too large)"),
    415: ("unsupported_media_type", "不支持的内容类型 (unsupported content type)"),
    422: ("validation_failed", "提交的数据有误 (the request data is invalid)"),
    429: ("too_many_requests", "请求过于频繁 (too many requests)"),
    500: ("internal_error", "服务器内部错误 (internal server error)"),
}


class ApiError(Exception):
    """Raised by views for errors that are not the engine's (authentication, request shape)."""

    def __init__(
        self, status: int, message: str | None = None, code: str | None = None, errors: Any = None, headers: dict[str, str] | None = None
    ):
        super().__init__(message)
        default_code, default_message = HTTP_CODES.get(status, ("error", "请求失败 (request failed)"))
        self.status = status
        self.code = code or default_code
        self.message = message or default_message
        self.errors = errors
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, errors: Any = None) -> Response:
    if _wants_page():
        return _error_page(status, message)
    body: dict[str, Any] = {"code": code, "status": status, "message": message}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    return response


def _wants_page() -> bool:
    """A browser asking for a page gets a page; the API and anything asking for JSON get JSON."""
    if request.path.startswith("/api/") or request.path == "/healthz":
        return False
    accepted = request.accept_mimetypes
    return accepted.best_match(["application/json", "text/html"]) == "text/html"


def _error_page(status: int, message: str) -> Response:
    html = (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{status}</title></head>'
        f'<body><h1>{status}</h1><p>{escape(message)}</p><p><a href="/">返回首页 (home)</a></p></body></html>'
    )
    return Response(html, status=status, mimetype="text/html")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(HTTPException, _http_exception)
    app.register_error_handler(Exception, _unexpected)


def _api_error(error: ApiError) -> Response:
    _rollback()
    response = error_response(error.status, error.code, error.message, error.errors)
    response.headers.update(error.headers)
    return response


def _engine_error(error: EngineError) -> Response:
    _rollback()
    status = next((s for cls, s in ENGINE_STATUS.items() if isinstance(error, cls)), 400)
    errors: Any = None
    if isinstance(error, DeploymentRefused):
        errors = [problem.to_dict() for problem in error.problems]
    elif isinstance(error, SubmissionRejected):
        errors = error.errors
    elif isinstance(error, TaskRefused):
        errors = {"element_id": error.element_id}
    _log.info("refused: %s %s", error.code, error.message)
    return error_response(status, error.code, error.message, errors)


def _http_exception(error: HTTPException) -> Response:
    _rollback()
    status = error.code or 500
    code, message = HTTP_CODES.get(status, ("error", error.name))
    errors = _request_errors(error)
    if status == 400 and errors and _is_malformed_json(errors):
        code, message = "malformed_json", "请求体不是合法的 JSON (the body is not valid JSON)"
    return error_response(status, code, message, errors)


def _unexpected(error: Exception) -> Response:
    _rollback()
    _log.exception("unexpected error")
    code, message = HTTP_CODES[500]
    return error_response(500, code, message)


def _request_errors(error: HTTPException) -> Any:
    """webargs/flask-smorest put parameter errors under data["messages"][location]."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if not messages:
        return None
    if len(messages) == 1:
        return translate(next(iter(messages.values())))
    return translate(messages)


def _is_malformed_json(errors: Any) -> bool:
    return "合法的 JSON" in str(errors)


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None:
        session.rollback()
