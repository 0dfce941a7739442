"""Refusing a client that goes beyond a rate limit: 429 in the one error shape. A signed-in person
is counted as themselves, anyone else by their address."""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app, request

from api.http.database import db_session
from api.http.errors import ApiError
from engine.rate_limits import RateLimit, count_attempt


def refuse_when_too_frequent(limits: Sequence[RateLimit], person_id: int | None) -> None:
    """Count this request against `limits` (committed at once) and refuse it beyond any of them."""
    client = f"person:{person_id}" if person_id is not None else f"address:{request.remote_addr or 'unknown'}"
    exceeded = count_attempt(db_session(), current_app.extensions["wf_clock"], client, limits)
    if exceeded is not None:
        raise ApiError(429, exceeded.message, code="too_many_requests")
