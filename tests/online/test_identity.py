"""Who an API client may speak for, and one person per consultation across channels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway import audit
from gateway.app import create_app
from gateway.contributions.intake import ParticipantRef
from gateway.identity import participant_key
from gateway.online.tokens import Scope, create_token
from gateway.results.tally import tally
from gateway.runtime import Runtime
from gateway.store.models import (
    AuditEvent,
    Channel,
    Contribution,
    Participant,
    Participation,
)
from tests.helpers import make_intake, record
from tests.sms.conftest import SECRET, Clock, make_sms_runtime
from tests.sms.twilio import Phone

NUMBER = "+33639987733"
SPELLINGS = ["0639987733", "+33 6 39 98 77 33", "+33639987733 ", "tel:+33639987733",
             "0033639987733", NUMBER]  # fmt: skip
PARC_ANSWERS = {"frequentation": "no", "priorite": "jeux", "satisfaction": 5}


@pytest.fixture
def sms_runtime(tmp_path: Path, db_url: str, clock: Clock) -> Iterator[Runtime]:
    runtime = make_sms_runtime(tmp_path, db_url)
    yield runtime
    runtime.close()


@pytest.fixture
def client(sms_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=sms_runtime)) as test_client:
        yield test_client


def _token(runtime: Runtime, name: str, *scopes: Scope) -> dict[str, str]:
    with runtime.sessions() as session, session.begin():
        token = create_token(session, name, frozenset(scopes))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def partner(sms_runtime: Runtime) -> dict[str, str]:
    """A platform that checks phone numbers itself."""
    return _token(sms_runtime, "partner", Scope.VERIFIED_PHONE)


@pytest.fixture
def decidim(sms_runtime: Runtime) -> dict[str, str]:
    return _token(sms_runtime, "decidim")


def _post(
    client: TestClient, headers: dict[str, str], code: str, external_id: str, kind: str, id: str
) -> httpx.Response:
    answers: dict[str, Any] = PARC_ANSWERS if code == "PARC" else {"projets": ["fontaines"]}
    body = {"external_id": external_id, "participant": {"kind": kind, "id": id}, "answers": answers}
    return client.post(f"/api/v1/consultations/{code}/contributions", json=body, headers=headers)


def _statuses(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.sessions() as session:
        rows = session.execute(
            select(Contribution.channel, Contribution.status).order_by(Contribution.id)
        )
        return [(channel, status) for channel, status in rows]


def _vote_by_sms(client: TestClient, code: str) -> None:
    phone = Phone(client, number=NUMBER)
    texts = ["BUDGET", "1", "1"] if code == "BUDGET" else ["PARC", "oui", "1", "3", "FIN"]
    for body in texts:
        phone.text(body)


def test_one_person_per_consultation_across_sms_and_the_api(
    client: TestClient, sms_runtime: Runtime, partner: dict[str, str]
) -> None:
    _vote_by_sms(client, "BUDGET")
    _vote_by_sms(client, "PARC")
    for n, spelling in enumerate(SPELLINGS):
        assert _post(client, partner, "BUDGET", f"b{n}", "phone", spelling).status_code == 201
        assert _post(client, partner, "PARC", f"p{n}", "phone", spelling).status_code == 201
    with sms_runtime.sessions() as session:
        budget, parc = tally(session, "BUDGET"), tally(session, "PARC")
        participants = session.scalar(select(func.count(Participant.id)))
        participations = session.scalar(select(func.count(Participation.id)))
    # first_wins: the SMS vote stays, every API post is a duplicate.
    assert budget.contributions == {"counted": 1, "duplicate": len(SPELLINGS)}
    assert budget.questions[0].counts["jardin-partage"] == 1
    assert budget.questions[0].counts["fontaines"] == 0
    # last_wins: the last API post replaces the SMS answers and every earlier post.
    assert parc.contributions == {"counted": 1, "superseded": len(SPELLINGS)}
    assert parc.questions[0].counts == {"yes": 0, "no": 1}
    assert (participants, participations) == (1, 2)


def test_a_token_without_the_scope_cannot_speak_for_a_phone(
    client: TestClient, sms_runtime: Runtime, decidim: dict[str, str]
) -> None:
    _vote_by_sms(client, "PARC")
    for code in ("PARC", "BUDGET"):
        response = _post(client, decidim, code, f"x-{code}", "phone", "06 39 98 77 33")
        assert response.status_code == 403
        assert "may not assert phone identities" in response.json()["detail"]
        assert "verified-phone" in response.json()["detail"]
    assert _statuses(sms_runtime) == [("sms", "counted")]
    # BUDGET stays open to the resident: nobody voted in their name.
    phone = Phone(client, number=NUMBER)
    assert phone.text("BUDGET")[1].startswith("1/2")
    with sms_runtime.sessions() as session:
        assert session.scalar(select(func.count(Participant.id))) == 1


def test_phone_assertions_are_journaled_without_the_number(
    client: TestClient, sms_runtime: Runtime, partner: dict[str, str], decidim: dict[str, str]
) -> None:
    first = _post(client, partner, "PARC", "p1", "phone", "0639987733")
    assert _post(client, partner, "PARC", "p1", "phone", NUMBER).json()["replayed"] is True
    _post(client, decidim, "PARC", "p2", "phone", "0639987733")
    with sms_runtime.sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "identity.asserted")
        ).all()
        assert audit.verify(session).ok
    [event] = events
    assert event.actor == "api:partner"
    assert event.payload == {
        "kind": "phone",
        "consultation": "PARC",
        "contribution": first.json()["contribution_id"],
    }
    key = participant_key("phone", NUMBER, SECRET.encode())
    written = json.dumps(event.payload)
    assert "639987733" not in written and key not in written


def test_invalid_phone_numbers_are_refused(
    client: TestClient, sms_runtime: Runtime, partner: dict[str, str]
) -> None:
    for n, raw in enumerate(["12", "abc", "+33 1", "06 39 98 77 33 99"]):
        response = _post(client, partner, "PARC", f"bad{n}", "phone", raw)
        assert response.status_code == 422
        assert "phone number" in response.json()["detail"]
    assert _statuses(sms_runtime) == []


def test_account_spellings_count_once(
    client: TestClient, sms_runtime: Runtime, decidim: dict[str, str]
) -> None:
    spellings = ["Alice.Martin", " alice.martin ", "ALICE.MARTIN", "ａｌｉｃｅ.martin",
                 "alice.martin\u00a0"]  # fmt: skip
    for n, spelling in enumerate(spellings):
        assert _post(client, decidim, "BUDGET", f"a{n}", "online_account", spelling).is_success
    assert _statuses(sms_runtime) == [("online", "counted")] + [("online", "duplicate")] * 4


def test_two_clients_with_the_same_account_are_two_people(
    client: TestClient, sms_runtime: Runtime, decidim: dict[str, str]
) -> None:
    consul = _token(sms_runtime, "consul")
    assert _post(client, decidim, "BUDGET", "1", "online_account", "alice").status_code == 201
    assert _post(client, consul, "BUDGET", "1", "online_account", "alice").status_code == 201
    assert _statuses(sms_runtime) == [("online", "counted"), ("online", "counted")]


def test_a_client_cannot_reach_a_key_made_by_a_channel(
    client: TestClient, sms_runtime: Runtime, decidim: dict[str, str]
) -> None:
    kiosk_key = participant_key("kiosk_ticket", "K7F3Q9", SECRET.encode())
    ticket = ParticipantRef(kind="kiosk_ticket", key_hash=kiosk_key)
    record(sms_runtime, make_intake(channel=Channel.KIOSK, participant=ticket))
    assert _post(client, decidim, "BUDGET", "1", "kiosk_ticket", "K7F3Q9").status_code == 201
    assert _statuses(sms_runtime) == [("kiosk", "counted"), ("online", "counted")]
