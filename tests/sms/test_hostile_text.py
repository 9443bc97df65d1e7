"""NUL bytes, control characters, surrogates and huge fields at the SMS webhooks: never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.app import create_app
from gateway.runtime import Runtime
from gateway.sms.models import SmsStatusEvent
from gateway.store.models import Answer
from tests.sms.conftest import Clock, make_sms_runtime
from tests.sms.twilio import INBOUND, STATUS, Phone, new_sid, post_signed, recorded

PARC_UP_TO_IDEA = ["PARC", "oui", "1", "4", "2"]


def _answers(runtime: Runtime) -> dict[str, tuple[object, str | None]]:
    with runtime.sessions() as session:
        rows = session.scalars(select(Answer)).all()
        return {a.question_id: (a.value, a.raw_input) for a in rows}


def test_a_nul_in_free_text_is_removed_and_the_answers_are_saved(
    phone: Phone, sms_runtime: Runtime
) -> None:
    for body in PARC_UP_TO_IDEA:
        phone.text(body)
    assert phone.text("Des\x00 bancs\x07 à l'ombre\u200f")[0].startswith("6/7")
    assert "Votre code de recu" in phone.text("FIN")[-1]
    value, raw = _answers(sms_runtime)["idee"]
    assert value == raw == "Des bancs à l'ombre\u200f"


@pytest.mark.parametrize("steps", [["PARC", "oui"], ["BUDGET"], ["PARC", "oui", "1"]])
def test_thousands_of_digits_get_the_hint(phone: Phone, steps: list[str]) -> None:
    for body in steps:
        phone.text(body)
    for body in ["1" * 1600, "3/" + "5" * 1598]:
        [reply] = phone.text(body)
        assert reply.startswith(("Pardon", "Envoyez")), reply


def test_a_body_longer_than_twilio_sends_is_a_400(client: TestClient, phone: Phone) -> None:
    phone.text("BUDGET")
    form = recorded("inbound-sms.form", From=phone.number, Body="1" * 4301, MessageSid=new_sid())
    response = post_signed(client, INBOUND, form)
    assert response.status_code == 400
    assert response.json() == {"detail": "Body: longer than 1600 characters"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("Body", "x" * 1601), ("MessageSid", "SM" + "0" * 63), ("MessageSid", "SM\x00"),
     ("From", "+3361234567\x00")],
)  # fmt: skip
def test_inbound_fields_out_of_bounds_are_a_400(
    client: TestClient, sms_runtime: Runtime, field: str, value: str
) -> None:
    form = recorded("inbound-sms.form", **{"MessageSid": new_sid(), field: value})
    response = post_signed(client, INBOUND, form)
    assert response.status_code == 400
    assert field in response.json()["detail"]


def _statuses(runtime: Runtime) -> list[tuple[str, str, str | None]]:
    with runtime.sessions() as session:
        rows = session.scalars(select(SmsStatusEvent)).all()
        return [(e.message_sid, e.status, e.error_code) for e in rows]


@pytest.mark.parametrize(
    ("field", "value"),
    [("MessageStatus", "deli\x00vered"), ("MessageSid", "SM\x00"), ("MessageStatus", "s" * 17),
     ("MessageSid", "SM" + "0" * 63), ("MessageStatus", "")],
)  # fmt: skip
def test_status_callback_with_a_bad_field_is_a_400(
    client: TestClient, sms_runtime: Runtime, field: str, value: str
) -> None:
    form = recorded("status-delivered.form", **{field: value})
    response = post_signed(client, STATUS, form)
    assert response.status_code == 400
    assert field in response.json()["detail"]
    assert _statuses(sms_runtime) == []


@pytest.mark.parametrize("code", ["300\x0003", "3" * 17, "30003 ", "err", "٣٠٠٠٣"])
def test_an_error_code_twilio_could_not_send_is_stored_as_null(
    client: TestClient, sms_runtime: Runtime, code: str
) -> None:
    form = recorded("status-delivered.form", MessageStatus="failed", ErrorCode=code)
    assert post_signed(client, STATUS, form).status_code == 204
    assert _statuses(sms_runtime) == [(form["MessageSid"], "failed", None)]


def test_a_twilio_error_code_is_kept(client: TestClient, sms_runtime: Runtime) -> None:
    form = recorded("status-delivered.form", MessageStatus="undelivered", ErrorCode="30003")
    assert post_signed(client, STATUS, form).status_code == 204
    assert _statuses(sms_runtime) == [(form["MessageSid"], "undelivered", "30003")]


def test_a_chunked_form_over_the_limit_is_a_413(client: TestClient, sms_runtime: Runtime) -> None:
    body = "&".join(f"{k}={v}" for k, v in recorded("inbound-sms.form").items())
    chunks = [body.encode(), b"&Junk=" + b"x" * 600_000, b"x" * 600_000]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = client.post(INBOUND, content=iter(chunks), headers=headers)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == {"detail": "request body over 1048576 bytes"}


@pytest.fixture
def simulator(tmp_path: Path, db_url: str, clock: Clock) -> Iterator[TestClient]:
    runtime = make_sms_runtime(tmp_path, db_url, environment="development")
    with closing(runtime), TestClient(create_app(runtime=runtime)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "raw",
    [b'{"body": "\\ud800"}', b'{"from": "+336\\udfff", "body": "PARC"}', b'{"body": NaN}',
     b'{"body": {"\\ud800": 1}}'],
)  # fmt: skip
def test_chat_page_refuses_what_is_not_text_with_a_422(simulator: TestClient, raw: bytes) -> None:
    response = simulator.post(
        "/sms/simulator", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"]


def test_chat_page_saves_answers_that_held_a_nul(simulator: TestClient) -> None:
    for body in [*PARC_UP_TO_IDEA, "une\x00 idée", "FIN"]:
        response = simulator.post("/sms/simulator", json={"body": body})
        assert response.status_code == 200
    assert "recu" in response.json()["replies"][-1]
