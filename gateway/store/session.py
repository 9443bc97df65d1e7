"""Engines and sessions for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import select
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    RowMapping,
    bindparam,
    column,
    create_engine,
    event,
    func,
    inspect,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, make_transient_to_detached, sessionmaker
from sqlalchemy.pool import QueuePool

T = TypeVar("T")
SQLITE_BUSY_SECONDS = 30
# The app's request threads (gateway.app.REQUEST_THREADS) and the job workers each
# hold one connection at most; the overflow is for a burst of one-shot commands.
POOL_SIZE = 10
POOL_OVERFLOW = 10
_HOLDS_TURN = "portevoix.holds_write_turn"
# The engines whose transactions `_queue_writers` manages.
_QUEUED_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(
        url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_recycle=RECYCLE_SECONDS
    )
    event.listen(engine, "checkout", _refuse_closed_connection)
    return engine


# A pooled connection older than this is replaced before use, as a firewall that drops
# idle connections silently would otherwise leave one that no longer answers.
RECYCLE_SECONDS = 30 * 60


def _refuse_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Replace a pooled connection the server closed, checking it without a round trip.

    An idle connection has nothing to read: when its socket is readable, the server has
    said goodbye (a restart, `pg_terminate_backend`) or sent something unasked for, and
    a fresh connection is safer. SQLAlchemy's `pool_pre_ping` would ask the server
    instead, at about 120 µs of CPU per checkout (a third of a short transaction's).
    """
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the connection is closed")
    readable, _, _ = select.select([dbapi_connection.pgconn.socket], [], [], 0)
    if readable:
        raise DisconnectionError("the server closed the connection, or spoke unasked")


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the sqlite3 module so that BEGIN
        # IMMEDIATE below is the only BEGIN sent.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.close()

    _queue_writers(engine)
    return engine


def _queue_writers(engine: Engine) -> None:
    """Make this process's SQLite transactions wait their turn on a lock.

    A deferred transaction that reads then writes can fail with SQLITE_BUSY without
    waiting, so every transaction takes the write lock up front (BEGIN IMMEDIATE).
    Threads of this process queue on a Python lock first, held until the connection
    returns to the pool: SQLite's own busy handler polls with sleeps of up to 100 ms,
    which turns a short queue into long tail latencies. Other processes still queue
    on SQLite's busy timeout, and so does a thread that waited too long here.

    Within `without_waiting`, a transaction that cannot begin at once raises
    `WriteTurnBusy` instead of waiting.
    """
    turn = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        inline = _WITHOUT_WAITING.get()
        if inline is not None:
            _begin_at_once(connection, turn, inline)
            return
        # connection.info follows the DBAPI connection back into the pool.
        if not connection.info.get(_HOLDS_TURN) and turn.acquire(timeout=SQLITE_BUSY_SECONDS):
            connection.info[_HOLDS_TURN] = True
        # Sent by the driver itself: no statement of the application, nothing to compile.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE")

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record.info.pop(_HOLDS_TURN, False):
            turn.release()

    _QUEUED_ENGINES.add(engine)


class WriteTurnBusy(Exception):
    """Another thread or process is writing: this transaction would have to wait."""


@dataclass
class _Inline:
    began: bool = False


_WITHOUT_WAITING: ContextVar[_Inline | None] = ContextVar("without_waiting", default=None)


@contextmanager
def without_waiting(engine: Engine) -> Iterator[None]:
    """Run one short SQLite transaction only if it can begin now, for the event loop.

    Inside, the transaction's BEGIN raises `WriteTurnBusy` when this process's write turn
    is taken or another process holds SQLite's write lock, so that nothing waits; the
    caller then runs the same work in a thread. Nothing is written before BEGIN, so
    running it again there is safe. Also refused, before any connection is taken: an
    engine that is not SQLite, and a pool so busy that a checkout might wait.
    """
    if engine not in _QUEUED_ENGINES or _pool_is_busy(engine):
        raise WriteTurnBusy("this engine's transactions cannot begin without waiting")
    token = _WITHOUT_WAITING.set(_Inline())
    try:
        yield
    finally:
        _WITHOUT_WAITING.reset(token)


def waiting_forbidden() -> bool:
    """Whether the caller runs within `without_waiting`, where nothing may wait: not even
    a file written and synced."""
    return _WITHOUT_WAITING.get() is not None


def _pool_is_busy(engine: Engine) -> bool:
    # Connections in use against the pool's size: the overflow is the margin that keeps
    # this checkout from waiting, whatever request threads take meanwhile.
    pool = engine.pool
    return not isinstance(pool, QueuePool) or pool.checkedout() >= POOL_SIZE


def _begin_at_once(connection: Any, turn: threading.Lock, inline: _Inline) -> None:
    if inline.began:
        # A second transaction could not be run again in a thread: its first committed.
        raise RuntimeError("without_waiting runs one transaction only")
    if not connection.info.get(_HOLDS_TURN):
        if not turn.acquire(blocking=False):
            raise WriteTurnBusy("another thread of this process is writing")
        connection.info[_HOLDS_TURN] = True
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA busy_timeout=0")
    try:
        driver.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
            raise
        raise WriteTurnBusy("another process holds the write lock") from None
    finally:
        # Once begun, the transaction holds the write lock: nothing else in it waits on
        # another writer, and a rare wait (another process recovering the WAL index) is
        # better than a failure.
        driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    inline.began = True


def open_connections(engine: Engine, count: int) -> None:
    """Open `count` of the pool's connections now (a few milliseconds each on
    PostgreSQL), so that the first requests served find them open."""
    opened: list[Connection] = []
    try:
        for _ in range(min(count, POOL_SIZE)):
            opened.append(engine.connect())
    finally:
        for connection in opened:
            connection.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session that commits once on success and rolls back on error."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def insert_or_ignore(session: Session, model: type[Any], **values: Any) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING; the new id, or None if a unique key clashed.

    One statement instead of a savepoint and a retry, and safe under concurrency:
    on PostgreSQL a clash waits for the other transaction, then reports nothing.
    """
    statement = _insert_or_ignore_statement(session, model, returning_row=False)
    new_id: int | None = core_connection(session).execute(statement, values).scalar_one_or_none()
    return new_id


def insert_or_ignore_row(session: Session, model: type[T], **values: Any) -> T | None:
    """Like insert_or_ignore, but the new row as an object of the session."""
    statement = _insert_or_ignore_statement(session, model, returning_row=True)
    row = core_connection(session).execute(statement, values).mappings().one_or_none()
    return None if row is None else adopt_row(session, model, row)


def adopt_row(session: Session, model: type[T], row: Mapping[str, Any] | RowMapping) -> T:
    """A row just written, every column given, made an object of the session.

    Without reading it again: as the ORM's own INSERT … RETURNING would, at a fraction
    of its cost.
    """
    mapper = inspect(model)
    # Made as the ORM makes a row it loads: its values put straight in the instance's
    # dict, not set one by one through the model's constructor (a third of the cost).
    instance: T = mapper.class_manager.new_instance()
    instance.__dict__.update({a.key: row[a.columns[0].name] for a in mapper.column_attrs})
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def insert_or_lock(
    session: Session,
    model: type[Any],
    key: str,
    also: tuple[ColumnElement[Any], ...] = (),
    **values: Any,
) -> RowMapping:
    """The row whose unique column `key` holds `values[key]`, inserted if new, locked.

    One statement either way: INSERT … ON CONFLICT DO UPDATE that changes nothing still
    locks the row it found on PostgreSQL, as SELECT … FOR UPDATE would (SQLite
    transactions hold the write lock already), and returns it as it is, with the
    labelled expressions `also` (built once by the caller) read along.
    """
    statement = _insert_or_lock_statement(session, model, key, also)
    return core_connection(session).execute(statement, values).mappings().one()


def add_to_counts(
    session: Session, model: type[Any], key: tuple[str, ...], rows: list[dict[str, Any]]
) -> None:
    """Insert each row, or add its `count` to the row of the same unique `key`."""
    if rows:
        core_connection(session).execute(_add_to_counts_statement(session, model, key), rows)


def rows_of_json(name: str, types: dict[str, Any]) -> Any:
    """PostgreSQL: rows from one JSON parameter `name`, a list of objects, as a FROM.

    For an INSERT … SELECT that writes a few rows within a larger statement, where
    `executemany` would cost a round trip of its own. One JSON text costs the driver a
    fraction of what one array a column did. Each object's values are read as their
    column's type: a JSON value to store as written is passed as its text.
    """
    rows = bindparam(name, type_=JSONB(none_as_null=True))
    columns = (column(key, kind) for key, kind in types.items())
    return func.jsonb_to_recordset(rows).table_valued(*columns).render_derived(with_types=True)


def core_connection(session: Session) -> Connection:
    """The session's connection, for a statement that needs nothing of the ORM.

    The ORM's bulk-insert machinery costs several times the statement itself; the
    flush first keeps the order the session would have kept.
    """
    session.flush()
    return session.connection()


# Built once per table: constructing a statement costs more than running it.
_STATEMENTS: dict[tuple[Any, ...], Any] = {}


def _insert_or_ignore_statement(session: Session, model: type[Any], returning_row: bool) -> Any:
    dialect = session.get_bind().dialect.name
    key = (dialect, model, returning_row)
    if key not in _STATEMENTS:
        statement = _insert(dialect)(model).on_conflict_do_nothing()
        columns = model.__table__.columns if returning_row else [model.id]
        _STATEMENTS[key] = statement.returning(*columns)
    return _STATEMENTS[key]


def _insert_or_lock_statement(
    session: Session, model: type[Any], column: str, also: tuple[ColumnElement[Any], ...]
) -> Any:
    dialect = session.get_bind().dialect.name
    key = (dialect, model, column, also)
    if key not in _STATEMENTS:
        statement = _insert(dialect)(model)
        unchanged = {column: getattr(statement.excluded, column)}
        upsert = statement.on_conflict_do_update(index_elements=[column], set_=unchanged)
        _STATEMENTS[key] = upsert.returning(*model.__table__.columns, *also)
    return _STATEMENTS[key]


def _add_to_counts_statement(session: Session, model: type[Any], key: tuple[str, ...]) -> Any:
    dialect = session.get_bind().dialect.name
    cache_key = (dialect, model, key, "count")
    if cache_key not in _STATEMENTS:
        statement = _insert(dialect)(model)
        added = {"count": model.count + statement.excluded.count}
        upsert = statement.on_conflict_do_update(index_elements=list(key), set_=added)
        _STATEMENTS[cache_key] = upsert
    return _STATEMENTS[cache_key]


def _insert(dialect: str) -> Any:
    return postgresql_insert if dialect == "postgresql" else sqlite_insert
