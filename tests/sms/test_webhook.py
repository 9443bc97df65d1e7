"""The inbound webhook: signatures, replays and malformed requests, over recorded bodies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from gateway.app import create_app
from gateway.runtime import Runtime
from gateway.sms.models import SmsConversation, SmsInbound
from gateway.store.models import Contribution
from tests.sms.conftest import make_sms_runtime
from tests.sms.twilio import INBOUND, PUBLIC_URL, STATUS, TOKEN, new_sid, post_signed, recorded
from tests.sms.twilio import replies as parse_replies


def _count(runtime: Runtime, model: type) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _sha256_signature(form: dict[str, str]) -> str:
    return str(RequestValidator(TOKEN).compute_signature(PUBLIC_URL + INBOUND, form, "HMAC_SHA256"))


SHA256_SETTINGS = "key=webhooks_sharedkey_x,algorithm=HMAC_SHA256"

SIGNATURES = [
    # (case, signature header, expected status)
    ("valid", "valid", 200),
    # Twilio signs some requests with the default port written out: both are accepted.
    ("signed with the port written out", "with-port", 200),
    ("missing", None, 403),
    ("empty", "", 403),
    ("forged", "bm90IGEgc2lnbmF0dXJl", 403),
    ("other token", "other", 403),
    ("signed for another URL", "other-url", 403),
    ("body changed after signing", "tampered", 403),
]


@pytest.mark.parametrize(
    ("case", "signature", "expected"), SIGNATURES, ids=[s[0] for s in SIGNATURES]
)
def test_signature(
    client: TestClient, sms_runtime: Runtime, case: str, signature: str | None, expected: int
) -> None:
    form = recorded("inbound-sms.form", MessageSid=new_sid())
    if signature == "other":
        signature = RequestValidator("another-token").compute_signature(PUBLIC_URL + INBOUND, form)
    elif signature == "other-url":
        signature = RequestValidator(TOKEN).compute_signature(
            "https://evil.example" + INBOUND, form
        )
    elif signature == "with-port":
        signature = RequestValidator(TOKEN).compute_signature(
            PUBLIC_URL.replace(".example", ".example:443") + INBOUND, form
        )
    elif signature == "tampered":
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + INBOUND, form)
        form = {**form, "Body": "BUDGET"}
    response = post_signed(client, INBOUND, form, signature)
    assert response.status_code == expected
    stored = _count(sms_runtime, SmsInbound) + _count(sms_runtime, SmsConversation)
    assert stored == (2 if expected == 200 else 0)


def test_sha256_signature_with_settings_header(client: TestClient) -> None:
    form = recorded("inbound-sms.form", MessageSid=new_sid())
    response = client.post(
        INBOUND,
        data=form,
        headers={
            "X-Twilio-Signature": _sha256_signature(form),
            "X-Twilio-Webhooks-Signature-Settings": SHA256_SETTINGS,
        },
    )
    assert response.status_code == 200


def test_an_algorithm_twilio_does_not_use_is_refused(client: TestClient) -> None:
    form = recorded("inbound-sms.form", MessageSid=new_sid())
    headers = {
        "X-Twilio-Signature": _sha256_signature(form),
        "X-Twilio-Webhooks-Signature-Settings": "key=k,algorithm=HMAC_MD5",
    }
    assert client.post(INBOUND, data=form, headers=headers).status_code == 403


def test_status_callback_needs_a_signature(client: TestClient) -> None:
    response = post_signed(client, STATUS, recorded("status-delivered.form"), signature=None)
    assert response.status_code == 403


def test_replay_gets_the_same_reply_and_is_stored_once(
    client: TestClient, sms_runtime: Runtime
) -> None:
    form = recorded("inbound-sms.form", MessageSid=new_sid())
    first = post_signed(client, INBOUND, form)
    again = post_signed(client, INBOUND, form)
    assert first.status_code == again.status_code == 200
    assert first.text == again.text
    assert "1/7" in first.text
    assert _count(sms_runtime, SmsInbound) == 1


def test_replay_of_the_last_answer_records_one_contribution(
    client: TestClient, sms_runtime: Runtime
) -> None:
    number = "+33698765432"
    for body in ["BUDGET", "1 4"]:
        post_signed(
            client,
            INBOUND,
            recorded("inbound-sms.form", Body=body, From=number, MessageSid=new_sid()),
        )
    last = recorded("inbound-sms.form", Body="3", From=number, MessageSid=new_sid())
    first = post_signed(client, INBOUND, last)
    again = post_signed(client, INBOUND, last)
    assert "Merci" in first.text and first.text == again.text
    assert _count(sms_runtime, Contribution) == 1


def test_twiml_is_xml_with_one_message_per_reply(client: TestClient) -> None:
    response = post_signed(client, INBOUND, recorded("inbound-sms.form", MessageSid=new_sid()))
    assert response.headers["content-type"].startswith("application/xml")
    messages = parse_replies(response.text)
    assert len(messages) == 2
    assert messages[0].startswith("Le nouveau parc des Tilleuls")


@pytest.mark.parametrize("missing", ["MessageSid", "From"])
def test_signed_but_incomplete_form_is_a_400(client: TestClient, missing: str) -> None:
    form = recorded("inbound-sms.form", MessageSid=new_sid())
    del form[missing]
    assert post_signed(client, INBOUND, form).status_code == 400


def test_a_sender_that_is_not_a_phone_gets_no_reply(
    client: TestClient, sms_runtime: Runtime
) -> None:
    form = recorded("inbound-sms.form", From="MAIRIE", MessageSid=new_sid())
    response = post_signed(client, INBOUND, form)
    assert response.status_code == 200 and parse_replies(response.text) == []
    assert _count(sms_runtime, SmsInbound) == 0


def test_oversized_request_is_refused(client: TestClient) -> None:
    form = recorded("inbound-sms.form", Body="x" * 2_000_000, MessageSid=new_sid())
    assert post_signed(client, INBOUND, form).status_code == 413


@pytest.fixture
def unconfigured(
    tmp_path: Path, sqlite_url: str, request: pytest.FixtureRequest
) -> Iterator[Runtime]:
    runtime = make_sms_runtime(
        tmp_path, sqlite_url, twilio_auth_token=None, environment=request.param
    )
    yield runtime
    runtime.close()


@pytest.mark.parametrize(
    ("unconfigured", "expected"),
    [("test", 503), ("production", 503), ("development", 200)],
    indirect=["unconfigured"],
)
def test_without_a_token_only_development_runs(unconfigured: Runtime, expected: int) -> None:
    with TestClient(create_app(runtime=unconfigured)) as client:
        form = recorded("inbound-sms.form", MessageSid=new_sid())
        assert post_signed(client, INBOUND, form, signature=None).status_code == expected
    assert _count(unconfigured, SmsInbound) == (1 if expected == 200 else 0)
