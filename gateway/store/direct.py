"""Statements built once, run straight on the driver's cursor.

For the few statements every message runs. SQLAlchemy builds and compiles them, and
converts their values both ways with the same type processors; what is skipped is
the per-execution machinery of `Connection.execute` (cache key, execution context,
result object): about 100 µs of CPU a statement on PostgreSQL, as much as the driver's
own work. A statement that needs that machinery (defaults computed in Python,
parameters expanded at execution) is refused when first run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import ReturnsRows

from gateway.store.session import core_connection

Convert = Callable[[Any], Any]


def rows(
    session: Session, statement: ReturnsRows, parameters: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Run `statement` in the session's transaction; its rows, keyed as `.mappings()` are."""
    return run(core_connection(session), statement, parameters)


def first(
    session: Session, statement: ReturnsRows, parameters: Mapping[str, Any]
) -> dict[str, Any] | None:
    found = rows(session, statement, parameters)
    return found[0] if found else None


def run(
    connection: Connection, statement: ReturnsRows, parameters: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Run `statement` on `connection`, in its transaction; its rows, as `rows` gives them."""
    ready = _ready(statement, connection.dialect)
    values = ready.bind(parameters)
    cursor = connection.connection.cursor()
    # Listeners still see each statement (tests count them); no execution context exists.
    events = connection.dispatch
    try:
        if events.before_cursor_execute:
            events.before_cursor_execute(connection, cursor, ready.sql, values, None, False)
        cursor.execute(ready.sql, values)
        if events.after_cursor_execute:
            events.after_cursor_execute(connection, cursor, ready.sql, values, None, False)
        # Only a statement with result columns is fetched from; the driver's description
        # of them (psycopg builds an object a column, each time) is read once.
        fetched = cursor.fetchall() if ready.keys else []
        loads = ready.loads
        if loads is None:
            loads = ready.set_loads(connection.dialect, cursor.description)
    except connection.dialect.loaded_dbapi.Error as error:
        raise _wrapped(connection, ready, values, error, cursor) from error
    finally:
        cursor.close()
    if not fetched:
        return []
    columns = tuple(zip(ready.keys, loads, strict=True))
    return [
        {
            key: value if load is None else load(value)
            for (key, load), value in zip(columns, row, strict=True)
        }
        for row in fetched
    ]


@dataclass
class _Ready:
    """A statement compiled for one dialect, with what converts its values."""

    statement: ReturnsRows  # kept: its id() keys the cache
    compiled: SQLCompiler
    sql: str
    converts: Mapping[str, Convert]
    columns: tuple[Any, ...]
    keys: tuple[str, ...]
    loads: tuple[Convert | None, ...] | None = field(default=None)

    def bind(self, parameters: Mapping[str, Any]) -> Any:
        compiled = self.compiled
        values = compiled.construct_params(dict(parameters), escape_names=False)
        for name, convert in self.converts.items():
            values[name] = convert(values[name])
        if compiled.positional:
            return tuple(values[name] for name in compiled.positiontup or ())
        escaped = compiled.escaped_bind_names
        return {escaped.get(name, name): value for name, value in values.items()}

    def set_loads(
        self, dialect: Dialect, description: Sequence[Any] | None
    ) -> tuple[Convert | None, ...]:
        # As SQLAlchemy does: each column's type, told the driver's type of the column.
        description = description or ()
        self.loads = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, described[1])
            for column, described in zip(self.columns, description, strict=True)
        )
        return self.loads


_READY: dict[tuple[int, str], _Ready] = {}
# Statements are meant to be built once; one built on every call would otherwise be
# kept, compiled, for ever.
_MAX_READY = 256


def _ready(statement: ReturnsRows, dialect: Dialect) -> _Ready:
    key = (id(statement), dialect.name)
    ready = _READY.get(key)
    if ready is None or ready.statement is not statement:
        if len(_READY) >= _MAX_READY:
            _READY.clear()
        ready = _READY[key] = _compile(statement, dialect)
    return ready


def _compile(statement: ReturnsRows, dialect: Dialect) -> _Ready:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    if (
        compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.literal_execute_params
        or compiled.post_compile_params
    ):
        raise TypeError(
            "this statement needs SQLAlchemy at execution (Python-side defaults or "
            "expanding parameters): run it with Connection.execute"
        )
    # An INSERT SQLAlchemy compiles with RETURNING of its own (the new primary key, on
    # PostgreSQL) returns that, as `Connection.execute` would.
    columns = tuple(compiled.implicit_returning or statement.exported_columns)
    keys = tuple(column.name for column in columns)
    if len(set(keys)) != len(keys):
        raise TypeError(f"two result columns share a name, label them: {keys}")
    converts = {}
    for name, parameter in compiled.binds.items():
        convert = parameter.type.dialect_impl(dialect).bind_processor(dialect)
        if convert is not None:
            converts[name] = convert
    return _Ready(statement, compiled, compiled.string, converts, columns, keys)


def _wrapped(
    connection: Connection, ready: _Ready, values: Any, error: Any, cursor: Any
) -> Exception:
    """The driver's error as SQLAlchemy raises it (IntegrityError, OperationalError…);
    a lost connection is invalidated, as SQLAlchemy would, not given back to the pool."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, connection.connection, cursor)
    if lost:
        connection.invalidate(error)
    wrapped: Exception = DBAPIError.instance(
        ready.sql, values, error, dialect.loaded_dbapi.Error,
        connection_invalidated=lost, dialect=dialect,
    )  # fmt: skip
    return wrapped
