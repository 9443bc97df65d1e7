"""Phone fixtures: a runtime with a Twilio token on both databases, a pinned clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.runtime import Runtime
from tests.conftest import Clock
from tests.sms.conftest import make_sms_runtime


@pytest.fixture
def line_runtime(tmp_path: Path, db_url: str, clock: Clock) -> Iterator[Runtime]:
    runtime = make_sms_runtime(tmp_path, db_url)
    yield runtime
    runtime.close()


@pytest.fixture
def line(line_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=line_runtime)) as test_client:
        yield test_client
