"""The door deletes the evidence of an intake it does not record, and only that."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from gateway.contributions.door import record_intake
from gateway.contributions.intake import DoorPolicy, EvidenceRef, Intake, IntakeConflict
from gateway.errors import PortevoixError
from gateway.retention import purge_expired_evidence
from gateway.runtime import Runtime
from gateway.store.models import Channel, ContributionEvidence, Evidence
from tests.helpers import load_examples, make_intake, record

LATE = datetime(2027, 2, 1, tzinfo=UTC)  # BUDGET is closed by then


@pytest.fixture
def store(runtime: Runtime) -> Runtime:
    load_examples(runtime)
    return runtime


def make_blob(runtime: Runtime, content: bytes = b"scan of a ballot") -> EvidenceRef:
    blob = runtime.evidence.put(content, "image/png")
    return EvidenceRef(blob.sha256, blob.media_type, blob.size, role="scan")


def _kept(runtime: Runtime, ref: EvidenceRef) -> bool:
    return runtime.evidence.path(ref.sha256).exists()


def _evidence_rows(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count(Evidence.id))) or 0


REFUSED = [
    pytest.param({"answers": {"projets": ["piscine"]}}, id="invalid answer"),
    pytest.param({"received_at": LATE}, id="closed consultation"),
    pytest.param({"code": "PISCINE"}, id="unknown code"),
]


@pytest.mark.parametrize("refusal", REFUSED)
def test_a_refused_intake_leaves_no_blob(store: Runtime, refusal: dict[str, object]) -> None:
    ref = make_blob(store)
    with pytest.raises(PortevoixError):
        record(store, make_intake(evidence=[ref], **refusal))  # type: ignore[arg-type]
    assert not _kept(store, ref)
    assert _evidence_rows(store) == 0


@pytest.mark.parametrize("refusal", REFUSED)
def test_a_blob_another_contribution_uses_is_kept(
    store: Runtime, refusal: dict[str, object]
) -> None:
    ref = make_blob(store)
    record(store, make_intake(evidence=[ref]))
    fresh = make_blob(store, b"another page")
    with pytest.raises(PortevoixError):
        record(store, make_intake(evidence=[ref, fresh], **refusal))  # type: ignore[arg-type]
    assert _kept(store, ref) and store.evidence.read(ref.sha256) == b"scan of a ballot"
    assert not _kept(store, fresh)
    assert _evidence_rows(store) == 1


def test_a_conflicting_intake_leaves_only_the_recorded_blob(store: Runtime) -> None:
    first = make_blob(store, b"first body")
    record(store, make_intake(external_id="SM1", channel=Channel.SMS, evidence=[first]))
    second = make_blob(store, b"second body")
    parc = {"frequentation": "yes", "priorite": "bancs", "satisfaction": 3}
    other = make_intake("PARC", parc, external_id="SM1", channel=Channel.SMS, evidence=[second])
    with pytest.raises(IntakeConflict):
        record(store, other)
    assert _kept(store, first) and not _kept(store, second)


def test_a_replay_keeps_its_own_blob_and_drops_a_new_one(store: Runtime) -> None:
    ref = make_blob(store)
    intake = make_intake(external_id="SM2", channel=Channel.SMS, evidence=[ref])
    record(store, intake)
    assert record(store, intake).replayed and _kept(store, ref)
    rewritten = make_blob(store, b"the same message, stored again differently")
    assert record(store, replace(intake, evidence=[rewritten])).replayed
    assert _kept(store, ref) and not _kept(store, rewritten)


def test_a_blob_whose_evidence_was_purged_goes_with_a_refused_intake(store: Runtime) -> None:
    ref = make_blob(store)
    expired = DoorPolicy(evidence_retention=timedelta(seconds=-1), evidence=store.evidence)
    record(store, make_intake(evidence=[ref]), expired)
    purge_expired_evidence(store)
    make_blob(store)  # the same bytes come again, with an intake that is refused
    with pytest.raises(PortevoixError):
        record(store, make_intake(evidence=[ref], received_at=LATE))
    assert not _kept(store, ref) and _evidence_rows(store) == 1


def test_an_intake_with_evidence_needs_the_evidence_store(store: Runtime) -> None:
    with (
        store.sessions() as session,
        pytest.raises(ValueError, match="needs the evidence store"),
    ):
        record_intake(session, make_intake(evidence=[make_blob(store)]), DoorPolicy())


def _wait_for_a_lock_wait(runtime: Runtime) -> None:
    """Poll PostgreSQL until some transaction waits for a lock another one holds."""
    deadline = time.monotonic() + 30
    with runtime.engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
            if waiting.scalar_one():
                return
            connection.rollback()
            time.sleep(0.01)
    pytest.fail("the refused intake never waited for the transaction linking its blob")


def test_a_refusal_waits_for_a_transaction_still_linking_the_blob(store: Runtime) -> None:
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one write transaction at a time: nothing is half-linked")
    ref = make_blob(store)
    refused: list[BaseException] = []

    def refuse(intake: Intake) -> None:
        try:
            record(store, intake)
        except PortevoixError as error:
            refused.append(error)

    with store.sessions() as session, session.begin():
        record_intake(session, make_intake(evidence=[ref]), DoorPolicy(evidence=store.evidence))
        late = threading.Thread(
            target=refuse, args=(make_intake(evidence=[ref], received_at=LATE),)
        )
        late.start()
        _wait_for_a_lock_wait(store)
    late.join()
    assert len(refused) == 1 and _kept(store, ref)
    assert _evidence_rows(store) == 1


def test_blobs_new_and_known_and_named_twice_are_each_linked(store: Runtime) -> None:
    # On PostgreSQL the contribution's own statement links the new blobs; the known one
    # is linked after it.
    known = make_blob(store, b"known page")
    record(store, make_intake(external_id="earlier", evidence=[known]))
    page, audio = make_blob(store, b"new page"), make_blob(store, b"new audio")
    refs = [known, page, replace(page, role="page-2"), replace(audio, role="audio")]
    intake = make_intake(external_id="later", evidence=refs)
    result = record(store, intake)
    assert record(store, intake).replayed
    with store.sessions() as session:
        links = session.execute(
            select(Evidence.sha256, ContributionEvidence.role)
            .join(ContributionEvidence)
            .where(ContributionEvidence.contribution_id == result.contribution_id)
        ).all()
    assert sorted(links) == sorted((ref.sha256, ref.role) for ref in refs)
    assert _evidence_rows(store) == 3
