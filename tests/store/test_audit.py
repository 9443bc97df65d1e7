"""The audit journal vouches for the store: tampering with either is found."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gateway import audit
from gateway.audit_anchor import anchor_journal, latest_anchor, write_anchor
from gateway.online.tokens import create_token
from gateway.runtime import Runtime
from gateway.store.models import AuditEvent, ContributionStatus
from gateway.store.session import make_engine, make_sessionmaker
from tests.helpers import (
    assert_counts_match_recount,
    load_examples,
    make_intake,
    make_participant,
    record,
)

PORTEVOIX = str(Path(sys.executable).parent / "portevoix")
PARC_ANSWERS = {"frequentation": "yes", "priorite": "jeux", "satisfaction": 4}


@pytest.fixture
def store(runtime: Runtime) -> Runtime:
    load_examples(runtime)
    return runtime


def _record_some(runtime: Runtime, count: int = 3) -> list[int]:
    return [record(runtime, make_intake()).contribution_id for _ in range(count)]


def _verify(runtime: Runtime, anchor: audit.Anchor | None = None) -> audit.Report:
    with runtime.sessions() as session:
        return audit.verify(session, anchor)


def _tamper(runtime: Runtime, *statements: str) -> None:
    with runtime.sessions() as session, session.begin():
        for statement in statements:
            session.execute(text(statement))


def _delete_events_after(session: Session, last_kept: int) -> None:
    """What an attacker with database rights does: lift the guard, cut the tail."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_event_no_delete"))
        session.execute(text(f"DELETE FROM audit_event WHERE id > {last_kept}"))
        return
    # Re-enabled in the same transaction: the PostgreSQL test database is shared.
    session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
    session.execute(text(f"DELETE FROM audit_event WHERE id > {last_kept}"))
    session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))


def _last_event_id(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc())).first() or 0


def test_a_clean_store_with_a_superseded_contribution_passes(store: Runtime) -> None:
    person = make_participant("+33611111111")
    first = record(store, make_intake("PARC", PARC_ANSWERS, participant=person))
    record(store, make_intake("PARC", PARC_ANSWERS, participant=person))
    with store.sessions() as session:
        changed = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "contribution.status_changed")
        ).one()
    assert changed.subject_id == str(first.contribution_id)
    assert changed.payload["status"] == ContributionStatus.SUPERSEDED
    report = _verify(store)
    assert report.ok, report.problems
    assert report.contributions == 2 and report.unchecked == 0


def test_appends_from_another_process_or_a_rollback_keep_one_chain(
    store: Runtime, db_url: str
) -> None:
    # Each process appends after the hash it last wrote, which is wrong once another
    # process appended, or once its own transaction rolled back: the INSERT checks.
    other = make_engine(db_url)
    try:
        _record_some(store, 1)
        with make_sessionmaker(other)() as session, session.begin():
            audit.append(session, "test.other_process", "test", 1)
        _record_some(store, 1)
        with store.sessions() as session:
            audit.append(session, "test.rolled_back", "test", 2)
            session.rollback()
        _record_some(store, 1)
        with make_sessionmaker(other)() as session, session.begin():
            audit.append(session, "test.other_process", "test", 3)
    finally:
        other.dispose()
    report = _verify(store)
    assert report.ok and report.contributions == 3
    with store.sessions() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert "test.rolled_back" not in actions and actions.count("test.other_process") == 2
    # On PostgreSQL the counts are written by the statement that appends: once, whether
    # the guessed hash held or the append was made again after the journal's end.
    assert_counts_match_recount(store)


def test_a_status_changed_in_sql_is_found(store: Runtime) -> None:
    ids = _record_some(store)
    _tamper(store, f"UPDATE contribution SET status = 'rejected' WHERE id = {ids[1]}")
    report = _verify(store)
    assert not report.ok
    assert report.differ.ids == (ids[1],)
    assert f"1 contribution differs from the journal: {ids[1]}" in report.problems


def test_an_edited_answer_is_found(store: Runtime) -> None:
    ids = _record_some(store)
    _tamper(
        store,
        f"""UPDATE answer SET value = '["eclairage"]' WHERE contribution_id = {ids[0]}""",
        f"UPDATE answer SET confidence = 0.5 WHERE contribution_id = {ids[2]}",
    )
    assert _verify(store).differ.ids == (ids[0], ids[2])


def test_a_deleted_contribution_is_found(store: Runtime) -> None:
    ids = _record_some(store)
    doomed = ids[1]
    _tamper(
        store,
        f"DELETE FROM answer WHERE contribution_id = {doomed}",
        f"DELETE FROM participation WHERE contribution_id = {doomed}",
        f"DELETE FROM contribution_evidence WHERE contribution_id = {doomed}",
        f"DELETE FROM contribution WHERE id = {doomed}",
    )
    report = _verify(store)
    assert report.missing.ids == (doomed,)
    assert f"1 journaled contribution is missing from the store: {doomed}" in report.problems


def _forge_contribution(session: Session, external_id: str) -> int:
    session.execute(
        text(
            "INSERT INTO contribution (consultation_id, channel, external_id, status,"
            " receipt_code, language, definition_hash, submitted_at, created_at, updated_at)"
            " SELECT id, 'online', :ext, 'counted', :ext, 'fr', definition_hash,"
            " created_at, created_at, created_at FROM consultation WHERE code = 'PARC'"
        ),
        {"ext": external_id},
    )
    forged = f"SELECT id FROM contribution WHERE external_id = '{external_id}'"
    return int(session.execute(text(forged)).scalar_one())


def test_events_from_before_content_hashes_are_not_checked_but_later_ones_vouch(
    store: Runtime,
) -> None:
    with store.sessions() as session, session.begin():
        legacy = _forge_contribution(session, "legacy")
        # As this version's predecessor journaled a contribution: no content hash.
        audit.append(session, "contribution.recorded", "contribution", legacy, {})
    ids = _record_some(store, 1)
    with store.sessions() as session, session.begin():
        forged = _forge_contribution(session, "forged")
        audit.append(session, "contribution.recorded", "contribution", forged, {})
    report = _verify(store)
    assert report.unchecked == 1 and report.contributions == 3
    assert report.unjournaled.ids == (forged,)
    assert ids[0] not in report.differ.ids


def test_a_contribution_without_an_event_is_found(store: Runtime) -> None:
    _record_some(store, 1)
    with store.sessions() as session, session.begin():
        forged = _forge_contribution(session, "forged")
    report = _verify(store)
    assert report.unjournaled.ids == (forged,) and report.differ.count == 0
    assert f"1 contribution has no event in the journal: {forged}" in report.problems


def test_deleting_tail_events_is_found(store: Runtime) -> None:
    ids = _record_some(store, 5)
    with store.sessions() as session, session.begin():
        cut_after = session.scalars(
            select(AuditEvent.id).where(AuditEvent.subject_id == str(ids[2]))
        ).one()
        _delete_events_after(session, cut_after)
    report = _verify(store)
    assert report.first_bad_id is None
    assert report.unjournaled.ids == (ids[3], ids[4])


def test_tail_deletion_before_the_last_anchor_is_found(store: Runtime, tmp_path: Path) -> None:
    _record_some(store, 2)
    kept = _last_event_id(store)
    with store.sessions() as session, session.begin():
        # Events about no contribution: only the anchor can tell they were there.
        create_token(session, "partner-a")
        create_token(session, "partner-b")
    anchors = tmp_path / "anchors.jsonl"
    with store.sessions() as session:
        written = write_anchor(session, anchors)
    assert _verify(store, latest_anchor(anchors)).ok
    with store.sessions() as session, session.begin():
        _delete_events_after(session, kept)
    report = _verify(store, latest_anchor(anchors))
    assert report.first_bad_id is None and report.differ.count == 0
    assert report.anchor_problem is not None
    assert f"counted {written.events}: events were deleted" in report.anchor_problem
    assert not _verify(store).problems  # without the anchor, nothing shows


def test_a_rewritten_tail_of_the_same_length_is_found(store: Runtime, tmp_path: Path) -> None:
    with store.sessions() as session, session.begin():
        create_token(session, "partner-a")
    anchors = tmp_path / "anchors.jsonl"
    with store.sessions() as session:
        write_anchor(session, anchors)
    last = _last_event_id(store)
    with store.sessions() as session, session.begin():
        _delete_events_after(session, last - 1)
        create_token(session, "partner-b")  # a new, validly chained head
    report = _verify(store, latest_anchor(anchors))
    assert report.first_bad_id is None
    assert "the journal was rewritten" in (report.anchor_problem or "")


def test_truncating_the_journal_is_refused(store: Runtime) -> None:
    _record_some(store, 1)
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has no TRUNCATE; DELETE is refused by a trigger since 0001")
    with store.sessions() as session, pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("TRUNCATE audit_event"))
    assert _verify(store).events == 3


def test_a_contribution_recorded_during_verify_is_no_false_alarm(
    store: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one write transaction at a time: nothing lands during verify")
    _record_some(store, 1)
    read_store = audit._stored_contributions

    def record_in_between(session: Session) -> object:
        _record_some(store, 1)  # another process records after the chain was read
        return read_store(session)

    monkeypatch.setattr(audit, "_stored_contributions", record_in_between)
    report = _verify(store)
    assert report.ok, report.problems
    assert report.contributions == 1


def test_the_anchor_job_runs_daily_and_appends_the_head(store: Runtime) -> None:
    assert store.jobs.get("audit.anchor").every == timedelta(days=1)
    _record_some(store, 1)
    anchor_journal(store)
    anchor_journal(store)
    path = store.settings.audit_anchor_path
    assert len(path.read_text().splitlines()) == 2
    anchor = latest_anchor(path)
    with store.sessions() as session:
        assert anchor is not None and anchor.head == audit.head(session).head
    assert anchor.events == 3


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PORTEVOIX, "audit", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_cli_anchor_and_verify_exit_codes(store: Runtime, db_url: str, tmp_path: Path) -> None:
    ids = _record_some(store, 2)
    env = {
        "PATH": "/usr/bin:/bin",
        "PORTEVOIX_ENVIRONMENT": "development",
        "PORTEVOIX_DATA_DIR": str(tmp_path / "var"),
        "PORTEVOIX_DATABASE_URL": db_url,
    }
    anchored = _cli(env, "anchor")
    assert anchored.returncode == 0, anchored.stderr
    assert "4 events" in anchored.stdout
    assert (tmp_path / "var" / "audit-anchors.jsonl").exists()
    clean = _cli(env, "verify")
    assert clean.returncode == 0, clean.stderr
    assert "store matches the journal: 2 contributions" in clean.stdout
    _tamper(store, f"UPDATE contribution SET status = 'duplicate' WHERE id = {ids[0]}")
    tampered = _cli(env, "verify")
    assert tampered.returncode == 1
    assert f"1 contribution differs from the journal: {ids[0]}" in tampered.stderr
