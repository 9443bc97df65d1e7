"""The online pages at /c/{code}: one-time codes by SMS, the channel, one person across SMS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.app import create_app
from gateway.kiosk.models import OnlineCode
from gateway.runtime import Runtime
from gateway.store.models import Contribution, ContributionStatus
from gateway.twilio.standin import TwilioStandIn, twilio_stand_in
from tests.conftest import Clock
from tests.kiosk.test_pages import go
from tests.sms.conftest import make_sms_runtime
from tests.sms.twilio import TOKEN, Phone

ACCOUNT = "AC00000000000000000000000000000000"
NUMBER = "+33612345678"
CODE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    with twilio_stand_in(ACCOUNT, TOKEN) as server:
        yield server


def make_online_runtime(tmp_path: Path, db_url: str, twilio: TwilioStandIn) -> Runtime:
    return make_sms_runtime(
        tmp_path,
        db_url,
        twilio_account_sid=ACCOUNT,
        twilio_from_number="+33644630000",
        twilio_api_url=twilio.url,
    )


@pytest.fixture
def online_runtime(
    tmp_path: Path, db_url: str, twilio: TwilioStandIn, clock: Clock
) -> Iterator[Runtime]:
    runtime = make_online_runtime(tmp_path, db_url, twilio)
    yield runtime
    runtime.close()


@pytest.fixture
def client(online_runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime=online_runtime)
    # Secure cookies: the public address is https, as in production.
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as test_client:
        yield test_client


def ask_code(client: TestClient, twilio: TwilioStandIn, number: str = "06 12 34 56 78") -> str:
    asked = client.post("/c/BUDGET/phone", data={"phone": number})
    assert asked.headers["location"] == "/c/BUDGET/verify", asked.text
    found = CODE.search(twilio.sent[-1]["Body"])
    assert found and twilio.sent[-1]["To"] == NUMBER
    return found.group(1)


def vote_online(client: TestClient, code: str) -> httpx.Response:
    page = go(client, client.post("/c/BUDGET/verify", data={"code": code}))
    assert "Question 1 sur 2" in page.text
    form = {"question": "projets", "answer": ["bancs"], "action": "next"}
    go(client, client.post("/c/BUDGET/answer", data=form))
    form = {"question": "tranche-age", "answer": ["18-29"], "action": "next"}
    summary = go(client, client.post("/c/BUDGET/answer", data=form))
    assert "Vérifiez vos réponses" in summary.text
    return go(client, client.post("/c/BUDGET/summary", data={"action": "send"}))


def statuses(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.sessions() as session:
        rows = session.scalars(select(Contribution).order_by(Contribution.id))
        return [(row.channel, row.status) for row in rows]


def test_a_vote_online_with_a_code_then_by_sms_counts_once(
    client: TestClient, online_runtime: Runtime, twilio: TwilioStandIn
) -> None:
    home = client.get("/c/BUDGET")
    assert home.status_code == 200 and "Votre numéro de portable" in home.text
    receipt = vote_online(client, ask_code(client, twilio))
    assert "receipt-code" in receipt.text and "vérifier" not in receipt.text
    assert statuses(online_runtime) == [("online", ContributionStatus.COUNTED)]
    # The same phone now votes by SMS: the door sees the same person.
    Phone(client, NUMBER).text("BUDGET")
    Phone(client, NUMBER).text("1")
    Phone(client, NUMBER).text("2")
    counted = [s for s in statuses(online_runtime) if s[1] == ContributionStatus.COUNTED]
    assert counted == [("online", ContributionStatus.COUNTED)]


def test_the_code_is_stored_hashed_and_the_number_nowhere(
    client: TestClient, online_runtime: Runtime, twilio: TwilioStandIn
) -> None:
    code = ask_code(client, twilio)
    with online_runtime.sessions() as session:
        row = session.scalars(select(OnlineCode)).one()
        assert code not in row.code_hash and "612345678" not in str(vars(row))


def test_a_wrong_code_counts_and_the_code_dies_after_the_last_try(
    client: TestClient, online_runtime: Runtime, twilio: TwilioStandIn
) -> None:
    code = ask_code(client, twilio)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(online_runtime.settings.online_code_attempts - 1):
        refused = client.post("/c/BUDGET/verify", data={"code": wrong})
        assert refused.status_code == 400 and "pas le bon" in refused.text
    last = client.post("/c/BUDGET/verify", data={"code": wrong})
    assert "ne marche plus" in last.text
    dead = client.post("/c/BUDGET/verify", data={"code": code})
    assert dead.status_code == 400 and "ne marche plus" in dead.text
    assert statuses(online_runtime) == []


def test_a_code_expires(
    client: TestClient, online_runtime: Runtime, twilio: TwilioStandIn, clock: Clock
) -> None:
    code = ask_code(client, twilio)
    clock.advance(minutes=online_runtime.settings.online_code_minutes)
    expired = client.post("/c/BUDGET/verify", data={"code": code})
    assert expired.status_code == 400 and "ne marche plus" in expired.text


def test_codes_are_rate_limited_per_number(
    client: TestClient, online_runtime: Runtime, twilio: TwilioStandIn
) -> None:
    for _ in range(online_runtime.settings.online_codes_per_hour):
        ask_code(client, twilio)
    refused = client.post("/c/BUDGET/phone", data={"phone": "+33 6 12 34 56 78"})
    assert refused.status_code == 400 and "Trop de codes" in refused.text
    with online_runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OnlineCode)) == 3


@pytest.mark.parametrize("number", ["12", "not a number", "+33 6 12 34 56 78 99 99"])
def test_a_number_that_is_not_one_is_refused(
    client: TestClient, twilio: TwilioStandIn, number: str
) -> None:
    refused = client.post("/c/BUDGET/phone", data={"phone": number})
    assert refused.status_code == 400 and "pas un numéro" in refused.text
    assert twilio.sent == []


def test_no_start_without_a_proved_phone(client: TestClient, online_runtime: Runtime) -> None:
    skipped = client.post("/c/BUDGET/start")
    assert skipped.headers["location"] == "/c/BUDGET"
    assert statuses(online_runtime) == []


def test_an_unknown_consultation_is_a_clean_404(client: TestClient) -> None:
    assert client.get("/c/NOPE").status_code == 404


def test_a_phone_that_voted_by_sms_is_told_online_it_is_not_counted_again(
    client: TestClient, online_runtime: Runtime, twilio: TwilioStandIn
) -> None:
    for text in ("BUDGET", "1", "2"):
        Phone(client, NUMBER).text(text)
    receipt = vote_online(client, ask_code(client, twilio))
    assert "déjà participé" in receipt.text
    counted = [s for s in statuses(online_runtime) if s[1] == ContributionStatus.COUNTED]
    assert counted == [("sms", ContributionStatus.COUNTED)]
