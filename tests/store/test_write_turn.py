"""SQLite transactions that must not wait: they begin at once, or say that they cannot."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager

import pytest
from sqlalchemy import Engine, text

from gateway.store.session import (
    POOL_SIZE,
    SQLITE_BUSY_SECONDS,
    WriteTurnBusy,
    make_engine,
    without_waiting,
)

WRITE = text(
    "INSERT INTO contact_opt_out (phone_hash, channel, said, opted_out_at) "
    "VALUES (:h, 'sms', 'STOP', '2026-01-01')"
)
COUNT = text("SELECT count(*) FROM contact_opt_out")


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@contextmanager
def another_process_writing(engine: Engine) -> Iterator[sqlite3.Connection]:
    """SQLite's write lock, held by a connection this engine knows nothing of."""
    path = engine.url.database
    assert path
    with closing(sqlite3.connect(path, isolation_level=None, timeout=0)) as other:
        other.execute("BEGIN IMMEDIATE")
        yield other
        other.execute("ROLLBACK")


def stored(engine: Engine) -> int:
    with engine.connect() as connection:
        count: int = connection.execute(COUNT).scalar_one()
    return count


def test_a_free_store_begins_at_once_and_holds_the_write_lock(engine: Engine) -> None:
    with without_waiting(engine), engine.begin() as connection:
        connection.execute(WRITE, {"h": "a"})
        with (
            pytest.raises(sqlite3.OperationalError, match="locked"),
            another_process_writing(engine),
        ):
            pass
    assert stored(engine) == 1
    # The connection goes back to the pool with its usual patience.
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == (
            SQLITE_BUSY_SECONDS * 1000
        )


def test_another_process_writing_is_refused_without_a_wait(engine: Engine) -> None:
    with another_process_writing(engine):
        started = time.monotonic()
        with pytest.raises(WriteTurnBusy), without_waiting(engine), engine.begin() as connection:
            connection.execute(WRITE, {"h": "a"})
        assert time.monotonic() - started < 1
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    # Nothing was written, and the store is free for the next writer, waiting or not.
    assert stored(engine) == 0
    with without_waiting(engine), engine.begin() as connection:
        connection.execute(WRITE, {"h": "b"})
    with engine.begin() as connection:
        connection.execute(WRITE, {"h": "c"})
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == (
            SQLITE_BUSY_SECONDS * 1000
        )
    assert stored(engine) == 2


def test_another_thread_writing_is_refused_then_the_turn_is_free(engine: Engine) -> None:
    begun, finish = threading.Event(), threading.Event()

    def write_slowly() -> None:
        with engine.begin() as connection:
            connection.execute(WRITE, {"h": "thread"})
            begun.set()
            finish.wait(10)

    writer = threading.Thread(target=write_slowly)
    writer.start()
    try:
        assert begun.wait(10)
        with pytest.raises(WriteTurnBusy), without_waiting(engine), engine.begin() as connection:
            connection.execute(WRITE, {"h": "loop"})
    finally:
        finish.set()
        writer.join()
    with without_waiting(engine), engine.begin() as connection:
        connection.execute(WRITE, {"h": "loop"})
    assert stored(engine) == 2


def test_only_one_transaction_may_run_without_waiting(engine: Engine) -> None:
    # A second one could not be run again in a thread once the first has committed.
    with without_waiting(engine):
        with engine.begin() as connection:
            connection.execute(WRITE, {"h": "a"})
        with pytest.raises(RuntimeError, match="one transaction"), engine.begin() as connection:
            connection.execute(WRITE, {"h": "b"})
    assert stored(engine) == 1


def test_a_busy_pool_is_not_waited_for(engine: Engine) -> None:
    held = [engine.connect() for _ in range(POOL_SIZE)]
    try:
        with pytest.raises(WriteTurnBusy), without_waiting(engine):
            pass
    finally:
        for connection in held:
            connection.close()


@pytest.mark.postgres
def test_postgresql_never_runs_without_waiting(postgres_url: str) -> None:
    # Every statement is a round trip to a server: nothing to run on the event loop.
    engine = make_engine(postgres_url)
    try:
        with pytest.raises(WriteTurnBusy), without_waiting(engine):
            pass
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        engine.dispose()
