"""Content-addressed blob store for raw inputs (SMS bodies, audio, scans)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import NotFound, PortevoixError


class EvidenceTooLarge(PortevoixError):
    pass


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    media_type: str


class EvidenceStore:
    """Files named by their sha256 under one root; writing twice is harmless."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def put(self, data: bytes, media_type: str) -> StoredBlob:
        if len(data) > self.max_bytes:
            raise EvidenceTooLarge(
                f"evidence of {len(data)} bytes is over the limit of {self.max_bytes} bytes"
            )
        digest = hashlib.sha256(data).hexdigest()
        path = self.path(digest)
        if not path.exists():
            self._write_atomically(path, data)
        return StoredBlob(sha256=digest, size=len(data), media_type=media_type)

    def read(self, sha256: str) -> bytes:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no evidence {sha256}") from None

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise NotFound(f"not an evidence id: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _write_atomically(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A crash mid-write must never leave a truncated file under a valid name.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
