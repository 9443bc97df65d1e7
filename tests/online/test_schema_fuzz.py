"""Schema fuzzing: requests generated from the OpenAPI description, on both databases.

Every reply must be documented in the schema and none may be a server error.
schemathesis 4's Python API drives the ASGI app in process, valid and invalid
requests alike, with a valid API token.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from gateway.app import create_app
from gateway.channels import build_runtime
from gateway.online.tokens import create_token
from gateway.runtime import Runtime
from tests.conftest import make_settings
from tests.helpers import load_examples
from tests.sms.twilio import PUBLIC_URL, TOKEN

CHECKS = [not_a_server_error, status_code_conformance]


@pytest.fixture
def runtime(tmp_path: Path, db_url: str) -> Iterator[Runtime]:
    """SMS configured (an unset token is a 503, which this run counts as a server error)."""
    settings = make_settings(tmp_path, db_url, twilio_auth_token=TOKEN, public_url=PUBLIC_URL)
    built = build_runtime(settings, dispatch=False)
    yield built
    built.close()


def test_every_reply_is_documented_and_none_is_a_server_error(
    runtime: Runtime, db_url: str
) -> None:
    load_examples(runtime)
    with runtime.sessions() as session, session.begin():
        token = create_token(session, "schemathesis")
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(runtime=runtime))
    auth = {"Authorization": f"Bearer {token}"}
    cases = st.one_of(
        schema.as_strategy(GenerationMode.POSITIVE, headers=auth),
        schema.as_strategy(GenerationMode.NEGATIVE, headers=auth),
    )

    @settings(
        max_examples=150 if db_url.startswith("sqlite") else 50,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def call(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    call()
