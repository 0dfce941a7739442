"""POST /api/v1/auth/token: exchange a username and password for a bearer token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, request

from api.http.bearer_auth import authenticate_request
from api.http.database import db_session
from api.http.request_body import ApiBlueprint
from api.http.sign_in import check_credentials
from api.routes.schemas import TokenRequest, TokenResponse
from engine.people.accounts import issue_token, revoke_token

blueprint = ApiBlueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录与令牌 (sign-in and tokens)")


@blueprint.post("/token")
@blueprint.arguments(TokenRequest)
@blueprint.response(201, TokenResponse)
def create_token(credentials: dict[str, Any]) -> dict[str, Any]:
    """用户名和密码换取令牌 (exchange a username and password for a bearer token)"""
    person = check_credentials(credentials["username"], credentials["password"])
    session = db_session()
    clock = current_app.extensions["wf_clock"]
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
