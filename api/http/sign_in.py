"""Checking credentials, the same way for API tokens and browser sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, request
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from api.http.database import db_session
from api.http.errors import ApiError
from engine.models import FailedLogin, Person
from engine.party.demo_organization import DEMO_PEOPLE
from engine.people.accounts import SignInThrottled, authenticate, forget_old_failures

WRONG = "用户名或密码错误 (wrong username or password)"


FAILURES_PER_ADDRESS = 20
ADDRESS_WINDOW = timedelta(minutes=10)


def check_credentials(username: str, password: str) -> Person:
    """The person, or ApiError 401 (wrong, whether the username exists or not, or a demo account
    outside demo mode) / 429 with Retry-After (this username failed too often from this address, or
    this address failed too often across accounts in the last ten minutes)."""
    session = db_session()
    clock = current_app.extensions["wf_clock"]
    now = clock.now()
    address = client_address()
    if _recent_failures(address, now) >= FAILURES_PER_ADDRESS:
        session.commit()
        raise ApiError(
            429,
            "登录失败次数过多，请稍后再试 (too many failed sign-ins from this address; try later)",
            code="too_many_requests",
            headers={"Retry-After": str(int(ADDRESS_WINDOW.total_seconds()))},
        )
    try:
        person = _attempt(username, password, address)
    except IntegrityError:  # another request counted this pair's first failure at the same moment
        session.rollback()
        person = _attempt(username, password, address)
    except SignInThrottled as throttled:
        raise ApiError(429, throttled.message, code=throttled.code, headers={"Retry-After": str(throttled.retry_after)}) from None
    if person is None:
        raise ApiError(401, WRONG, code="invalid_credentials")
    if person.username in DEMO_PEOPLE and not current_app.config["WF_DEMO"]:
        raise ApiError(401, "演示账号仅在演示模式下可用 (demo accounts work only with WF_DEMO=1)", code="invalid_credentials")
    return person


def client_address() -> str:
    """The client's address as the WSGI server saw it, or as the trusted proxies forwarded it
    (WF_PROXY_HOPS; otherwise X-Forwarded-For is anyone's to write and is ignored)."""
    return (request.remote_addr or "unknown")[:64]


def _attempt(username: str, password: str, address: str) -> Person | None:
    session = db_session()
    clock = current_app.extensions["wf_clock"]
    person = authenticate(session, username, password, address=address, clock=clock)
    if person is None:
        session.add(FailedLogin(address=address, attempted_at=clock.now()))
        forget_old_failures(session, clock=clock)
    session.commit()  # the failure counts, or their reset
    return person


def _recent_failures(address: str, now: datetime) -> int:
    session = db_session()
    session.execute(delete(FailedLogin).where(FailedLogin.attempted_at < now - ADDRESS_WINDOW))
    return session.scalar(select(func.count()).select_from(FailedLogin).where(FailedLogin.address == address)) or 0
