"""The database handle hangs off the app; each request gets its own session, closed at teardown.
Its sessions carry the audit key (AUDIT_ANCHOR) that chains and checkpoints the audit events."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from engine.audit import anchor_sessions
from engine.db import make_engine, make_session_factory

_EXTENSION = "wf_database"


def init_database(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], pool_pre_ping=True)
    sessions = make_session_factory(engine)
    anchor = app.config.get("AUDIT_ANCHOR")
    app.extensions[_EXTENSION] = anchor_sessions(sessions, anchor) if anchor else sessions  # without: appends refused
    app.teardown_appcontext(_close_session)


def session_factory(app: Flask | None = None) -> sessionmaker[Session]:
    return (app or current_app).extensions[_EXTENSION]


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = session_factory()()
    return g.db_session


def dispose_database(app: Flask) -> None:
    """Close every pooled connection (tests and shutdown)."""
    factory = app.extensions.get(_EXTENSION)
    if factory is not None and factory.kw.get("bind") is not None:
        factory.kw["bind"].dispose()


def _close_session(_error: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
