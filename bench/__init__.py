"""Benchmarks; each prints JSON and compares against a baseline in the same run."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def databases() -> Iterator[list[tuple[str, str, Path]]]:
    """(name, url, scratch dir) for a fresh SQLite file, and PostgreSQL when configured."""
    with tempfile.TemporaryDirectory() as tmp:
        found = [("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp))]
        pg = os.environ.get("PORTEVOIX_TEST_DATABASE_URL")
        if pg:
            found.append(("postgresql", pg, Path(tmp)))
        yield found
