from __future__ import annotations

import hashlib
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.contributions.intake import DoorPolicy, EvidenceRef
from gateway.errors import NotFound
from gateway.evidence import CHUNK_BYTES, EvidenceStore, EvidenceTooLarge
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


def test_missing_folders_are_made_again(tmp_path: Path) -> None:
    # The root is made on the first write, and again if someone removed it meanwhile.
    store = EvidenceStore(tmp_path / "evidence", max_bytes=100)
    first = store.put(b"PARC", "text/plain")
    shutil.rmtree(tmp_path / "evidence")
    second = store.put(b"BANCS", "text/plain")
    assert store.read(second.sha256) == b"BANCS"
    assert store.put(b"PARC", "text/plain") == first and store.read(first.sha256) == b"PARC"
    assert [p.name for p in (tmp_path / "evidence").iterdir() if p.name.startswith(".tmp")] == []


def test_size_limit(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path, max_bytes=10)
    with pytest.raises(EvidenceTooLarge, match="over the limit of 10 bytes"):
        store.put(b"x" * 11, "application/octet-stream")
    assert not any(tmp_path.rglob("*"))


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def test_a_file_bigger_than_a_chunk_is_streamed_in_and_out(tmp_path: Path) -> None:
    scan = tmp_path / "scan.tiff"
    scan.write_bytes(os.urandom(2 * CHUNK_BYTES + 123))
    store = EvidenceStore(tmp_path / "evidence", max_bytes=3 * CHUNK_BYTES)
    blob = store.put_file(scan, "image/tiff")
    assert blob.sha256 == hashlib.sha256(scan.read_bytes()).hexdigest()
    assert blob.size == scan.stat().st_size and blob.media_type == "image/tiff"
    with store.open(blob.sha256) as stored:
        assert stored.read() == scan.read_bytes()
    assert store.put_file(scan, "image/tiff") == blob
    assert _files(tmp_path / "evidence") == [store.path(blob.sha256)]  # no temporary file left


class _Endless:
    """A recording that never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1, /) -> bytes:
        self.read_bytes += size
        return b"\x00" * size


def test_a_stream_over_the_limit_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path, max_bytes=2 * CHUNK_BYTES + 1)
    recording = _Endless()
    with pytest.raises(EvidenceTooLarge, match=f"over the limit of {2 * CHUNK_BYTES + 1} bytes"):
        store.put_stream(recording, "audio/wav")
    assert recording.read_bytes == 3 * CHUNK_BYTES  # stopped at the first chunk over
    assert _files(tmp_path) == []


def test_a_file_over_the_limit_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    recording = tmp_path / "call.wav"
    recording.write_bytes(b"\x01" * (CHUNK_BYTES + 1))
    store = EvidenceStore(tmp_path / "evidence", max_bytes=CHUNK_BYTES)
    with pytest.raises(EvidenceTooLarge):
        store.put_file(recording, "audio/wav")
    assert _files(tmp_path / "evidence") == []


def test_opening_a_missing_blob_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no evidence"):
        EvidenceStore(tmp_path, 10).open("0" * 64)


@pytest.mark.parametrize(
    "bad_id", ["", "../../etc/passwd", "A" * 64, "0" * 63, "0" * 64 + "\n", "0" * 65]
)
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
