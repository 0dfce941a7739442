"""Database plumbing: the declarative base, engine creation and the SQLite settings we rely on."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import Engine, Enum, MetaData, Table, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:
        # Every model here is mapped to a table (SQLAlchemy types __table__ as any FromClause).
        __table__: ClassVar[Table]


def string_enum(kind: type[enum.Enum], length: int = 32) -> Enum:
    """An enum column stored as its values in a plain string column, alike on SQLite and PostgreSQL
    (no native enum type to migrate when a value is added)."""
    return Enum(kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


def normalize_url(url: str) -> str:
    """Accept the usual `postgresql://` spelling and use psycopg 3, the driver we install."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: object) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout so writers queue up."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: DBAPIConnection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
