"""A pooled PostgreSQL connection the server closed is replaced before anyone uses it."""

from __future__ import annotations

import time

from sqlalchemy import Engine, text

from gateway.store.session import make_engine


def test_a_connection_the_server_closed_is_replaced_unseen(postgres_url: str) -> None:
    # What a PostgreSQL restart does to every pooled connection, done to one.
    engine = make_engine(postgres_url)
    other = make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with other.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        _wait_until_gone(other, pid)
        # Back from the pool: the request that gets it must not fail.
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
        assert engine.pool.checkedin() == 1
    finally:
        engine.dispose()
        other.dispose()


def _wait_until_gone(engine: Engine, pid: int) -> None:
    # pg_terminate_backend only asks: the backend ends a moment later.
    deadline = time.monotonic() + 10
    gone = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(gone, {"pid": pid}).scalar_one() == 0:
                return
        time.sleep(0.02)
    raise AssertionError(f"backend {pid} still running")


def test_a_healthy_connection_is_kept(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() == pid
    finally:
        engine.dispose()
