"""Checking credentials, the same way for API tokens and browser sessions."""
from __future__ import annotations

from flask import current_app

from api.database import db_session
from api.errors import ApiError
from engine.accounts import AccountLocked, authenticate
from engine.demo import DEMO_PEOPLE
from engine.models import Person

WRONG = "用户名或密码错误 (wrong username or password)"


def check_credentials(username: str, password: str) -> Person:
    """The person, or ApiError 401 (wrong, or a demo account outside demo mode) / 429 (locked)."""
    session = db_session()
    try:
        person = authenticate(session, username, password, clock=current_app.extensions["wf_clock"])
    except AccountLocked as locked:
        raise ApiError(429, locked.message, code=locked.code) from None
    finally:
        session.commit()  # the failure count, or its reset, whatever the outcome
    if person is None:
        raise ApiError(401, WRONG, code="invalid_credentials")
    if person.username in DEMO_PEOPLE and not current_app.config["WF_DEMO"]:
        raise ApiError(401, "演示账号仅在演示模式下可用 (demo accounts work only with WF_DEMO=1)", code="invalid_credentials")
    return person
