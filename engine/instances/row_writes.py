"""Writing a command's own rows (its instance, its user tasks) with plain Core statements.

On the command path the ORM unit of work costs several times the statements it emits. These
helpers emit the same INSERTs and UPDATEs (the instance's optimistic version check included) and
then leave the objects as a flush would: persistent, with no pending changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, Update, bindparam, insert, inspect, update
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.state import InstanceState

_KEY, _OLD_VERSION = "row_key_", "row_old_version_"


def insert_rows(session: Session, rows: Sequence[object]) -> None:
    """INSERT new objects of one class in one statement and put them in the session, persistent.
    Their primary keys must be assigned, and their columns' defaults be plain values."""
    if not rows:
        return
    statement, columns = _insert_statement(inspect(rows[0]).mapper)
    session.connection().execute(statement, [_all_columns(columns, row) for row in rows])
    for row in rows:
        make_transient_to_detached(row)
        session.add(row)


def insert_row(session: Session, row: object) -> None:
    """INSERT one new object whose primary key the database assigns, and put it in the session,
    persistent, with that key."""
    mapper = inspect(row).mapper
    statement, columns = _insert_statement(mapper)
    (key_column,) = mapper.primary_key
    values = {column: value for column, value in _all_columns(columns, row).items() if column != key_column.key}
    # SQLAlchemy types the key row as optional; it is missing only for an executemany.
    (key,) = session.connection().execute(statement, values).inserted_primary_key  # type: ignore[misc]
    set_committed_value(row, mapper.get_property_by_column(key_column).key, key)
    make_transient_to_detached(row)
    session.add(row)


def write_changed(session: Session, classes: tuple[type, ...]) -> bool:
    """UPDATE the changed columns of the session's modified objects of these classes, marking them
    clean; False (and nothing written) when the unit of work must order the flush itself."""
    if session.new or session.deleted:
        return False  # a new row may be what an updated foreign key points at
    states = [inspect(obj) for obj in session.dirty if isinstance(obj, classes)]
    if not all(_column_changes_only(state) for state in states):
        return False
    for state in sorted(states, key=lambda state: state.mapper.version_id_col is None):  # version checks first
        _update(session, state)
    return True


_Column = tuple[str, str, Any]  # attribute key, column key, scalar default


def _all_columns(columns: tuple[_Column, ...], row: object) -> dict[str, Any]:
    """Every column's value, defaults filled in, so the object needs no reload once inserted."""
    current = inspect(row).dict
    values = {}
    for attribute_key, column_key, default in columns:
        value = current.get(attribute_key)
        if value is None:
            # Straight into the object's dict: make_transient_to_detached commits it as loaded.
            current[attribute_key] = value = default
        values[column_key] = value
    return values


def _column_changes_only(state: InstanceState[Any]) -> bool:
    columns = state.mapper.column_attrs
    return all(key in columns and old is not NO_VALUE for key, old in state.committed_state.items())


def _update(session: Session, state: InstanceState[Any]) -> None:
    current, changed = state.dict, state.committed_state
    columns = state.mapper.column_attrs
    values = {columns[key].columns[0].key: current[key] for key, old in changed.items() if current[key] != old}
    if values:
        statement, key_attribute, version_attribute = _update_statement(state.mapper)
        params = {**values, _KEY: current[key_attribute]}
        if version_attribute is not None:
            params[_OLD_VERSION] = changed.get(version_attribute, current[version_attribute])
        if session.connection().execute(statement, params).rowcount != 1:
            raise StaleDataError(f"{state.class_.__name__} {params[_KEY]} was changed or deleted concurrently")
    # What the unit of work does to an object it has just written; there is no public call for it.
    state._commit_all(current, session.identity_map)


# Built once per mapper: building a statement per call costs more than running it.
@cache
def _insert_statement(mapper: Mapper[Any]) -> tuple[Insert, tuple[_Column, ...]]:
    columns = tuple(
        (attribute.key, attribute.columns[0].key, _scalar_default(attribute.columns[0].default)) for attribute in mapper.column_attrs
    )
    return insert(_table(mapper)), columns


@cache
def _update_statement(mapper: Mapper[Any]) -> tuple[Update, str, str | None]:
    """The UPDATE by primary key (and old version, if the mapper has one), and those attributes' keys."""
    (key_column,) = mapper.primary_key
    statement = update(_table(mapper)).where(key_column == bindparam(_KEY))
    version = mapper.version_id_col
    if version is not None:
        statement = statement.where(version == bindparam(_OLD_VERSION))
    version_attribute = None if version is None else mapper.get_property_by_column(version).key
    return statement, mapper.get_property_by_column(key_column).key, version_attribute


def _table(mapper: Mapper[Any]) -> Table:
    """The mapper's table: every model here is mapped to one (SQLAlchemy allows any FromClause)."""
    if not isinstance(mapper.local_table, Table):
        raise TypeError(f"{mapper.class_.__name__} is not mapped to a table")
    return mapper.local_table


def _scalar_default(default: Any) -> Any:
    return default.arg if default is not None and default.is_scalar else None
