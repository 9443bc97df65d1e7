"""Test databases: a migrated SQLite template copied per test, and a real PostgreSQL."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import text

from gateway import models  # noqa: F401  (every table, for truncation)
from gateway.channels import build_runtime
from gateway.clock import set_clock
from gateway.config import Settings, get_settings
from gateway.runtime import Runtime
from gateway.store.base import Base
from gateway.store.migrate import upgrade
from gateway.store.session import make_engine
from tests.helpers import DURING

os.environ.setdefault("PORTEVOIX_ENVIRONMENT", "test")
os.environ.setdefault("PORTEVOIX_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")

# Property tests keep no example database (nothing written in the repository) and
# have no deadline (a shared CI machine is slow now and then, which proves nothing).
settings.register_profile("portevoix", database=None, deadline=None)
settings.load_profile("portevoix")

PG_URL = os.environ.get("PORTEVOIX_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("PORTEVOIX_TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("PORTEVOIX_REQUIRE_SERVICES") == "1"


def require_service(url: str | None, what: str) -> str:
    """Skip on a developer machine without the service; fail under `make test`."""
    if url:
        return url
    message = f"{what} is not available (start it with scripts/services.sh start)"
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Each test reads the environment anew: a command run in-process reads its own."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "portevoix.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = require_service(PG_URL, "PostgreSQL")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    engine.dispose()
    yield url


def _truncate_postgres(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        # The guard refuses TRUNCATE of the journal; lift it for this transaction only.
        connection.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_truncate"))
    engine.dispose()


def make_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    # Speech to text is off unless a test turns it on: the model takes seconds to load.
    overrides = {"stt_engine": "none"} | overrides
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",  # type: ignore[arg-type]
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "portevoix.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs on both databases."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_url")
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    _truncate_postgres(url)


@pytest.fixture
def runtime(tmp_path: Path, db_url: str) -> Iterator[Runtime]:
    rt = build_runtime(make_settings(tmp_path, db_url), dispatch=False)
    yield rt
    rt.close()


@pytest.fixture
def pg_runtime(tmp_path: Path, postgres_url: str) -> Iterator[Runtime]:
    """A runtime on PostgreSQL alone, for what SQLite has no counterpart to."""
    rt = build_runtime(make_settings(tmp_path, postgres_url), dispatch=False)
    yield rt
    rt.close()
    _truncate_postgres(postgres_url)


@pytest.fixture
def sqlite_runtime(tmp_path: Path, sqlite_url: str) -> Iterator[Runtime]:
    rt = build_runtime(make_settings(tmp_path, sqlite_url), dispatch=False)
    yield rt
    rt.close()


class Clock:
    """A pinned clock that a test moves on by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The service's one clock, pinned inside the example consultations' dates."""
    pinned = Clock(DURING)
    with set_clock(pinned):
        yield pinned
