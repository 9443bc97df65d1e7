"""The audit journal's lock on PostgreSQL: taken along with a contribution, never twice,
and never trusted past the transaction (or savepoint) that took it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from gateway import audit
from gateway.contributions.door import DoorPolicy, record_intake
from gateway.runtime import Runtime
from gateway.store.models import AuditEvent
from tests.helpers import load_examples, make_intake, make_participant, record

pytestmark = pytest.mark.postgres


@pytest.fixture
def store(pg_runtime: Runtime) -> Runtime:
    # SQLite has no counterpart: a transaction there holds the whole store's write lock.
    load_examples(pg_runtime)
    return pg_runtime


@contextmanager
def lock_statements(runtime: Runtime) -> Iterator[list[str]]:
    """The statements sent while the block runs that take the lock by themselves."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("SELECT pg_advisory_xact_lock"):
            sent.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(runtime.engine, "before_cursor_execute", note)


def _holds_lock(session: Session) -> bool:
    held = session.execute(
        text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND pid = pg_backend_pid() AND objid = :k"
        ),
        {"k": audit._PG_AUDIT_LOCK},
    ).scalar_one()
    return bool(held)


def test_recording_takes_the_lock_with_the_contribution(store: Runtime) -> None:
    with lock_statements(store) as sent, store.sessions() as session, session.begin():
        record_intake(session, make_intake(), DoorPolicy())
        assert _holds_lock(session)
        # The journal's append, and anything else that holds it, sends nothing more.
        audit.hold_journal(session)
    assert sent == []
    with store.sessions() as session:
        assert audit.verify(session).ok


def test_a_new_transaction_takes_the_lock_again(store: Runtime) -> None:
    record(store, make_intake())
    # The pool hands the same connection back: what it noted must not carry over.
    with lock_statements(store) as sent, store.sessions() as session, session.begin():
        assert not _holds_lock(session)
        audit.hold_journal(session)
        assert _holds_lock(session)
        audit.hold_journal(session)
    assert len(sent) == 1


def test_after_a_savepoint_rolled_back_the_lock_is_taken_again(store: Runtime) -> None:
    with lock_statements(store) as sent, store.sessions() as session, session.begin():
        savepoint = session.begin_nested()
        record_intake(session, make_intake(), DoorPolicy())
        savepoint.rollback()
        # PostgreSQL let go of the lock with the savepoint: noted there, not here.
        assert not _holds_lock(session)
        audit.hold_journal(session)
        assert _holds_lock(session)
    assert len(sent) == 1


def test_a_replayed_intake_still_journals_once(store: Runtime) -> None:
    intake = make_intake(external_id="lock:1", participant=make_participant("+33600000001"))
    first = record(store, intake)
    again = record(store, intake)
    assert again.replayed and again.contribution_id == first.contribution_id
    with store.sessions() as session:
        assert audit.verify(session).ok


def test_writers_at_once_keep_one_chain(store: Runtime) -> None:
    # The lock is taken inside the contribution's statement, before the append reads
    # where the journal ends: concurrent writers never fork the chain.
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(6):
                phone = f"+336{worker:02d}{n:06d}"
                record(store, make_intake(participant=make_participant(phone)))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.sessions() as session:
        report = audit.verify(session)
        recorded = session.scalars(
            select(AuditEvent.subject_id).where(AuditEvent.action == "contribution.recorded")
        ).all()
    assert report.ok, report.problems
    assert report.contributions == 36 and len(set(recorded)) == 36


def test_rows_along_cannot_take_the_journals_own_parameters(store: Runtime) -> None:
    with store.sessions() as session, session.begin():
        along = audit.Along((), {"hash": "0" * 64})
        with pytest.raises(ValueError, match="the journal's parameters are its own"):
            audit.append(session, "test.along", "test", 1, along=along)
