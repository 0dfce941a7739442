"""The services the suite runs against are the ones configured, and they answer."""

from __future__ import annotations

import os

from alembic.script import ScriptDirectory
from sqlalchemy import text

from engine.schema import alembic_config


def test_database_is_the_configured_one(db_engine):
    expected = "postgresql" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert db_engine.dialect.name == expected
    with db_engine.connect() as connection:
        applied = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert applied == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_redis_answers(redis_connection):
    redis_connection.set("wf:test:ping", "pong", ex=5)
    assert redis_connection.get("wf:test:ping") == b"pong"
