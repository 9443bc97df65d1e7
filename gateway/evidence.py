"""Content-addressed blob store for raw inputs (SMS bodies, audio, scans), bytes or streams."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from gateway.errors import NotFound, PortevoixError

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# Scans and recordings are copied this much at a time, never held whole in memory.
CHUNK_BYTES = 1024 * 1024


class EvidenceTooLarge(PortevoixError):
    pass


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    media_type: str


class Readable(Protocol):
    """A binary stream to copy from: a file, an upload, a socket's reader."""

    def read(self, size: int = -1, /) -> bytes: ...


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
        return self.put_stream(io.BytesIO(data), media_type)

    def put_file(self, path: Path, media_type: str) -> StoredBlob:
        with path.open("rb") as source:
            return self.put_stream(source, media_type)

    def put_stream(self, source: Readable, media_type: str) -> StoredBlob:
        """Copy a stream in chunks, hashing as it goes; over the limit, nothing is kept."""
        # In the root, so the rename below stays on one file system and is atomic:
        # a crash mid-write never leaves a truncated file under a valid name.
        fd, tmp = self._temporary()
        try:
            with os.fdopen(fd, "wb") as handle:
                digest, size = self._copy(source, handle)
                handle.flush()
                os.fsync(handle.fileno())
            self._settle(Path(tmp), self.path(digest))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StoredBlob(sha256=digest, size=size, media_type=media_type)

    def _copy(self, source: Readable, target: BinaryIO) -> tuple[str, int]:
        hasher, size = hashlib.sha256(), 0
        while chunk := source.read(CHUNK_BYTES):
            size += len(chunk)
            if size > self.max_bytes:
                raise EvidenceTooLarge(f"evidence is over the limit of {self.max_bytes} bytes")
            hasher.update(chunk)
            target.write(chunk)
        return hasher.hexdigest(), size

    def _temporary(self) -> tuple[int, str]:
        # Folders are made when missing, not checked on every write (each SMS vote
        # writes its transcript here).
        try:
            return tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        except FileNotFoundError:
            self.root.mkdir(parents=True, exist_ok=True)
            return tempfile.mkstemp(dir=self.root, prefix=".tmp-")

    @staticmethod
    def _settle(tmp: Path, path: Path) -> None:
        if path.exists():
            tmp.unlink()  # the same bytes are there already
            return
        try:
            os.replace(tmp, path)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, path)

    def open(self, sha256: str) -> BinaryIO:
        """Read a blob back as a stream; the caller closes it."""
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError:
            raise NotFound(f"no evidence {sha256}") from None

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as blob:
            return blob.read()

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def path(self, sha256: str) -> Path:
        if not _SHA256_HEX.fullmatch(sha256):
            raise NotFound(f"not an evidence id: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256
