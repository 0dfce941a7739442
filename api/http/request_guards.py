"""Refuse text no database column can hold, before any view sees it: NUL characters (PostgreSQL
text cannot store them) and lone surrogates (not valid Unicode), anywhere in the query string,
the path, a JSON body or a page's form post."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from webargs import core

from api.http.errors import ApiError
from api.http.request_body import request_json

_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
MESSAGE = "含有不允许的字符（如 NUL） (contains a character that cannot be stored, such as NUL)"


def install_request_guards(app: Flask) -> None:
    app.before_request(_refuse_unstorable_text)


def _refuse_unstorable_text() -> None:
    pairs = list(request.args.items(multi=True))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        pairs += list(request.form.items(multi=True))
    if _FORBIDDEN.search(request.path) or any(_FORBIDDEN.search(k) or _FORBIDDEN.search(v) for k, v in pairs):
        raise ApiError(422, MESSAGE, code="validation_failed", errors={"_request": [MESSAGE]})
    body = request_json()  # the one strict parse; an empty body is no body
    if body is not core.missing and _contains_forbidden(body):
        raise ApiError(422, MESSAGE, code="validation_failed", errors={"_schema": [MESSAGE]})


def _contains_forbidden(value: Any) -> bool:
    if isinstance(value, str):
        return _FORBIDDEN.search(value) is not None
    if isinstance(value, dict):
        return any(_contains_forbidden(k) or _contains_forbidden(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_forbidden(item) for item in value)
    return False
