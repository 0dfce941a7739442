"""Every JSON request body is parsed once, strictly, before any view sees it.

Python's json module accepts what our views cannot handle: nesting deep enough to exhaust the
interpreter's recursion limit (here or in marshmallow, in the NUL guard, in the engine), integers
of thousands of digits (which str() then refuses), and NaN or Infinity. The body is refused with a
400 in the one error shape instead. The parsed value is cached on the request: the request
guards, `request.get_json()` and the REST routes' argument parser (through `ApiBlueprint`) all
read that one parse.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import flask_smorest
from flask import Flask, Request, request
from flask.json.provider import DefaultJSONProvider
from marshmallow import Schema
from webargs import core
from webargs.flaskparser import FlaskParser

from api.http.errors import ApiError

MAX_DEPTH = 32
MAX_INTEGER_DIGITS = 20  # a 64-bit integer has at most 20 digits
MAX_NUMBER_CHARACTERS = 40

MALFORMED = "请求体不是合法的 JSON (the body is not valid JSON)"
TOO_DEEP = f"请求体嵌套过深，最多 {MAX_DEPTH} 层 (the JSON body is nested more than {MAX_DEPTH} levels deep)"
BAD_NUMBER = (
    f"请求体中的数字过大或不是有限数（整数最多 {MAX_INTEGER_DIGITS} 位，不接受 NaN 和 Infinity）"
    f" (a number in the JSON body is too large or not finite:"
    f" integers have at most {MAX_INTEGER_DIGITS} digits, NaN and Infinity are refused)"
)


def parse_json_body(data: str | bytes) -> Any:
    """The one strict JSON parser for request bodies; refuses with an `ApiError`."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text, parse_int=_integer, parse_float=_decimal_number, parse_constant=_constant)
    except RecursionError:
        raise _refused("body_too_deep", TOO_DEEP) from None
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        raise _refused("malformed_json", MALFORMED) from None
    if _depth_exceeds(value, MAX_DEPTH):
        raise _refused("body_too_deep", TOO_DEEP)
    return value


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _refused("number_refused", BAD_NUMBER)
    return int(text)


def _decimal_number(text: str) -> float:
    number = float(text) if len(text) <= MAX_NUMBER_CHARACTERS else math.inf
    if not math.isfinite(number):
        raise _refused("number_refused", BAD_NUMBER)
    return number


def _constant(text: str) -> Any:
    raise _refused("number_refused", BAD_NUMBER)


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Walks without recursion, so checking a deep value cannot itself run out of stack."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def _refused(code: str, message: str) -> ApiError:
    return ApiError(400, message, code=code, errors={"_body": [message]})


class StrictJsonProvider(DefaultJSONProvider):
    """Flask hands every request the app's JSON provider; its `loads` is the strict parser."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if kwargs:  # a caller with its own decoding options (none reads a request body so)
            return super().loads(s, **kwargs)
        return parse_json_body(s)


class StrictJsonRequest(Request):
    """A body that is not JSON at all answers in the error shape, as `malformed_json`."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        raise _refused("malformed_json", MALFORMED)


def request_json() -> Any:
    """The current request's JSON body, parsed once; `core.missing` when there is none."""
    if not request.is_json or not request.get_data(cache=True):
        return core.missing
    return request.get_json()


class _BodyParser(FlaskParser):
    """webargs' parser reading JSON bodies through `request_json` instead of its own json.loads."""

    def load_json(self, req: Request, schema: Schema) -> Any:
        return request_json()


class ApiBlueprint(flask_smorest.Blueprint):
    """The REST routes' blueprint: its `arguments` read the one strict parse of the body."""

    ARGUMENTS_PARSER = _BodyParser()


def install_request_body_parser(app: Flask) -> None:
    app.json = StrictJsonProvider(app)
    app.request_class = StrictJsonRequest
    app.before_request(_parse_body_first)


def _parse_body_first() -> None:
    # Before the request guards and every view, whichever way they read the body.
    request_json()
