"""Phone fixtures: a runtime with a Twilio token on both databases, a pinned clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.runtime import Runtime
from gateway.twilio.standin import TwilioStandIn, twilio_stand_in
from tests.conftest import Clock
from tests.sms.conftest import make_sms_runtime
from tests.sms.twilio import TOKEN

ACCOUNT = "AC00000000000000000000000000000000"


@pytest.fixture
def line_runtime(tmp_path: Path, db_url: str, clock: Clock) -> Iterator[Runtime]:
    runtime = make_sms_runtime(tmp_path, db_url)
    yield runtime
    runtime.close()


@pytest.fixture
def line(line_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=line_runtime)) as test_client:
        yield test_client


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    """The local Twilio stand-in, serving the recordings a test puts in it."""
    with twilio_stand_in(ACCOUNT, TOKEN) as server:
        yield server


@pytest.fixture
def recording_runtime(
    tmp_path: Path, db_url: str, clock: Clock, twilio: TwilioStandIn
) -> Iterator[Runtime]:
    runtime = make_sms_runtime(
        tmp_path, db_url, twilio_account_sid=ACCOUNT, twilio_api_url=twilio.url
    )
    yield runtime
    runtime.close()
