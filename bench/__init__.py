"""Benchmarks; each prints JSON and compares against a baseline in the same run."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.runtime import Runtime


@contextmanager
def databases() -> Iterator[list[tuple[str, str, Path]]]:
    """(name, url, scratch dir) for a fresh SQLite file, and PostgreSQL when configured."""
    with tempfile.TemporaryDirectory() as tmp:
        found = [("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp))]
        pg = os.environ.get("PORTEVOIX_TEST_DATABASE_URL")
        if pg:
            found.append(("postgresql", pg, Path(tmp)))
        yield found


def example_runtime(url: str, scratch: Path) -> Runtime:
    """A runtime on a fresh store at `url`, migrated, with the example consultations."""
    from sqlalchemy import text

    from gateway.channels import build_runtime
    from gateway.config import Settings
    from gateway.store.migrate import upgrade
    from gateway.store.session import make_engine
    from tests.helpers import load_examples

    if url.startswith("postgresql"):
        with make_engine(url).begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    settings = Settings(
        environment="test",
        data_dir=scratch / "data",
        database_url=url,
        secret_key="bench-secret-key-that-is-long-enough-0123456789",  # type: ignore[arg-type]
        stt_engine="none",
    )
    runtime = build_runtime(settings, dispatch=False)
    upgrade(runtime.engine)
    load_examples(runtime)
    return runtime
