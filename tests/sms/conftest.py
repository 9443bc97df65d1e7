"""SMS fixtures: a runtime with a Twilio token on both databases, a pinned clock, a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.channels import build_runtime
from gateway.config import Settings
from gateway.runtime import Runtime
from tests.conftest import Clock
from tests.helpers import load_examples
from tests.sms.twilio import PUBLIC_URL, TOKEN, Phone

SECRET = "test-secret-key-that-is-long-enough-0123456789"


def make_sms_runtime(tmp_path: Path, db_url: str, **overrides: object) -> Runtime:
    values: dict[str, object] = {
        "environment": "test",
        "data_dir": tmp_path / "data",
        "database_url": db_url,
        "secret_key": SECRET,
        "twilio_auth_token": TOKEN,
        "public_url": PUBLIC_URL,
        "stt_engine": "none",  # on only where a test decodes speech: loading takes seconds
        **overrides,
    }
    settings = Settings(**values)  # type: ignore[arg-type]
    runtime = build_runtime(settings, dispatch=False)
    load_examples(runtime)
    return runtime


@pytest.fixture
def sms_runtime(tmp_path: Path, db_url: str, clock: Clock) -> Iterator[Runtime]:
    runtime = make_sms_runtime(tmp_path, db_url)
    yield runtime
    runtime.close()


@pytest.fixture
def client(sms_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=sms_runtime)) as test_client:
        yield test_client


@pytest.fixture
def phone(client: TestClient) -> Phone:
    return Phone(client)
