"""Checking credentials, the same way for API tokens and browser sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, request
from sqlalchemy import delete, func, select

from api.http.database import db_session
from api.http.errors import ApiError
from engine.models import FailedLogin, Person
from engine.party.demo_organization import DEMO_PEOPLE
from engine.people.accounts import AccountLocked, authenticate

WRONG = "用户名或密码错误 (wrong username or password)"


FAILURES_PER_ADDRESS = 20
ADDRESS_WINDOW = timedelta(minutes=10)


def check_credentials(username: str, password: str) -> Person:
    """The person, or ApiError 401 (wrong, or a demo account outside demo mode) / 429 (this account
    is locked, or this address failed too often, across accounts, in the last ten minutes)."""
    session = db_session()
    now = current_app.extensions["wf_clock"].now()
    address = (request.remote_addr or "unknown")[:64]
    if _recent_failures(address, now) >= FAILURES_PER_ADDRESS:
        raise ApiError(
            429, "登录失败次数过多，请稍后再试 (too many failed sign-ins from this address; try later)", code="too_many_requests"
        )
    try:
        person = authenticate(session, username, password, clock=current_app.extensions["wf_clock"])
        if person is None:
            session.add(FailedLogin(address=address, attempted_at=now))
    except AccountLocked as locked:
        raise ApiError(429, locked.message, code=locked.code) from None
    finally:
        session.commit()  # the failure counts, or their reset, whatever the outcome
    if person is None:
        raise ApiError(401, WRONG, code="invalid_credentials")
    if person.username in DEMO_PEOPLE and not current_app.config["WF_DEMO"]:
        raise ApiError(401, "演示账号仅在演示模式下可用 (demo accounts work only with WF_DEMO=1)", code="invalid_credentials")
    return person


def _recent_failures(address: str, now: datetime) -> int:
    session = db_session()
    session.execute(delete(FailedLogin).where(FailedLogin.attempted_at < now - ADDRESS_WINDOW))
    return session.scalar(select(func.count()).select_from(FailedLogin).where(FailedLogin.address == address)) or 0
