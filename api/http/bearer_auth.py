"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

from flask import current_app, g, request

from api.http.database import db_session
from api.http.errors import ApiError
from engine.people.accounts import person_for_token
from engine.people.permissions import Actor, load_actor

BEARER_SCHEME = {"type": "http", "scheme": "bearer"}


def authenticate_request() -> None:
    """A `before_request` hook for blueprints that need a signed-in person."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401)
    session = db_session()
    person = person_for_token(session, token.strip(), clock=current_app.extensions["wf_clock"])
    if person is None:
        raise ApiError(401)
    g.actor = load_actor(session, person)


def authenticate_if_present() -> None:
    """For pages the public may read: sign in when a token is sent, stay anonymous otherwise."""
    if request.headers.get("Authorization"):
        authenticate_request()
    else:
        g.actor = None


def current_actor() -> Actor:
    actor = g.get("actor")
    if actor is None:
        raise ApiError(401)
    return actor
