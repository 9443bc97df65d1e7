from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.contributions.intake import DoorPolicy, EvidenceRef
from gateway.errors import NotFound
from gateway.evidence import EvidenceStore, EvidenceTooLarge
from gateway.retention import purge_expired_evidence
from gateway.runtime import Runtime
from gateway.store.models import ContributionEvidence, Evidence
from tests.helpers import load_examples, make_intake, record


def test_content_addressed_and_read_back(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path, max_bytes=100)
    blob = store.put(b"PARC", "text/plain")
    assert blob.sha256 == hashlib.sha256(b"PARC").hexdigest() and blob.size == 4
    assert store.put(b"PARC", "text/plain") == blob
    assert store.read(blob.sha256) == b"PARC"
    assert store.path(blob.sha256).relative_to(tmp_path).parts[:2] == (
        blob.sha256[:2],
        blob.sha256[2:4],
    )


def test_size_limit(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path, max_bytes=10)
    with pytest.raises(EvidenceTooLarge, match="over the limit of 10 bytes"):
        store.put(b"x" * 11, "application/octet-stream")
    assert not any(tmp_path.rglob("*"))


@pytest.mark.parametrize("bad_id", ["", "../../etc/passwd", "A" * 64, "0" * 63])
def test_bad_ids_are_refused(tmp_path: Path, bad_id: str) -> None:
    with pytest.raises(NotFound):
        EvidenceStore(tmp_path, 10).read(bad_id)


def test_evidence_linked_once_and_purged_after_retention(runtime: Runtime) -> None:
    load_examples(runtime)
    blob = runtime.evidence.put(b"raw sms body", "text/plain")
    ref = EvidenceRef(blob.sha256, blob.media_type, blob.size, role="sms")
    expired = DoorPolicy(evidence_retention=timedelta(seconds=-1), evidence=runtime.evidence)
    record(runtime, make_intake(evidence=[ref]), expired)
    record(runtime, make_intake(evidence=[ref]), expired)
    with runtime.sessions() as session:
        assert len(session.scalars(select(Evidence)).all()) == 1
        assert len(session.scalars(select(ContributionEvidence)).all()) == 2
    purge_expired_evidence(runtime)
    with runtime.sessions() as session:
        assert session.scalars(select(Evidence)).one().purged_at is not None
    with pytest.raises(NotFound):
        runtime.evidence.read(blob.sha256)


def test_same_bytes_after_purge_are_kept_again(runtime: Runtime) -> None:
    load_examples(runtime)
    blob = runtime.evidence.put(b"scan", "image/png")
    ref = EvidenceRef(blob.sha256, blob.media_type, blob.size, role="scan")
    record(
        runtime,
        make_intake(evidence=[ref]),
        DoorPolicy(evidence_retention=timedelta(0), evidence=runtime.evidence),
    )
    purge_expired_evidence(runtime)
    runtime.evidence.put(b"scan", "image/png")
    record(
        runtime,
        make_intake(evidence=[ref]),
        DoorPolicy(evidence_retention=timedelta(days=1), evidence=runtime.evidence),
    )
    purge_expired_evidence(runtime)
    with runtime.sessions() as session:
        assert session.scalars(select(Evidence)).one().purged_at is None
    assert runtime.evidence.read(blob.sha256) == b"scan"
