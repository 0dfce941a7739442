"""POST /api/v1/auth/token: exchange a username and password for a bearer token."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from api.database import db_session
from api.errors import ApiError
from api.schemas import TokenRequest, TokenResponse
from engine.accounts import authenticate, issue_token

blueprint = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录与令牌 (sign-in and tokens)")


@blueprint.post("/token")
@blueprint.arguments(TokenRequest)
@blueprint.response(201, TokenResponse)
def create_token(credentials: dict[str, Any]) -> dict[str, Any]:
    """用户名和密码换取令牌 (exchange a username and password for a bearer token)"""
    session = db_session()
    person = authenticate(session, credentials["username"], credentials["password"])
    if person is None:
        raise ApiError(401, "用户名或密码错误 (wrong username or password)", code="invalid_credentials")
    lifetime = timedelta(hours=current_app.config["TOKEN_LIFETIME_HOURS"])
    token, record = issue_token(session, person, clock=current_app.extensions["wf_clock"], lifetime=lifetime)
    session.commit()
    return {"token": token, "expires_at": record.expires_at}
