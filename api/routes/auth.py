"""POST /api/v1/auth/token: exchange a username and password for a bearer token."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from api.database import db_session
from api.errors import ApiError
from api.schemas import TokenRequest, TokenResponse
from api.auth import authenticate_request
from engine.accounts import AccountLocked, authenticate, issue_token, revoke_token
from engine.demo import DEMO_PEOPLE

blueprint = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录与令牌 (sign-in and tokens)")


@blueprint.post("/token")
@blueprint.arguments(TokenRequest)
@blueprint.response(201, TokenResponse)
def create_token(credentials: dict[str, Any]) -> dict[str, Any]:
    """用户名和密码换取令牌 (exchange a username and password for a bearer token)"""
    session = db_session()
    clock = current_app.extensions["wf_clock"]
    try:
        person = authenticate(session, credentials["username"], credentials["password"], clock=clock)
    except AccountLocked as locked:
        raise ApiError(429, locked.message, code=locked.code) from None
    finally:
        session.commit()  # the failure count, or its reset, whatever the outcome
    if person is None:
        raise ApiError(401, "用户名或密码错误 (wrong username or password)", code="invalid_credentials")
    if person.username in DEMO_PEOPLE and not current_app.config["WF_DEMO"]:
        raise ApiError(401, "演示账号仅在演示模式下可用 (demo accounts work only with WF_DEMO=1)", code="invalid_credentials")
    lifetime = timedelta(hours=current_app.config["TOKEN_LIFETIME_HOURS"])
    token, record = issue_token(session, person, clock=clock, lifetime=lifetime)
    session.commit()
    return {"token": token, "expires_at": record.expires_at}


@blueprint.delete("/token")
@blueprint.response(204)
@blueprint.doc(security=[{"bearerAuth": []}])
def revoke_current_token() -> None:
    """注销：使当前令牌立即失效 (sign out: the token presented stops working now)"""
    authenticate_request()
    token = request.headers["Authorization"].partition(" ")[2].strip()
    session = db_session()
    revoke_token(session, token, clock=current_app.extensions["wf_clock"])
    session.commit()
