"""The online JSON API, over HTTP, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.app import create_app
from gateway.clock import set_clock
from gateway.online.tokens import create_token
from gateway.runtime import Runtime
from gateway.store.models import Answer, AuditEvent, Contribution, Participant
from tests.conftest import Clock
from tests.helpers import load_examples
from tests.online.conftest import sign_in_staff

URL = "/api/v1/consultations/BUDGET/contributions"
PARC_URL = "/api/v1/consultations/PARC/contributions"
PARC_ANSWERS = {"frequentation": "yes", "priorite": "jeux", "satisfaction": 4}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    load_examples(runtime)
    with TestClient(create_app(runtime=runtime)) as test_client:
        sign_in_staff(runtime, test_client)
        yield test_client


@pytest.fixture
def token(runtime: Runtime) -> str:
    with runtime.sessions() as session, session.begin():
        return create_token(session, "decidim")


def _vote(external_id: str = "v1", person: str = "alice", **over: Any) -> dict[str, Any]:
    body = {
        "external_id": external_id,
        "participant": {"kind": "online_account", "id": person},
        "answers": {"projets": ["bancs", "fontaines"]},
    }
    return {**body, **over}


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer pv_wrong"}, {"Authorization": "Basic Zm9vOmJhcg=="}]
)
def test_token_required(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post(URL, json=_vote(), headers=headers)
    assert response.status_code == 401
    assert client.get("/api/v1/consultations/BUDGET/results").json()["contributions"] == {}


def test_post_then_replay_then_results(client: TestClient, token: str) -> None:
    first = client.post(URL, json=_vote(), headers=_auth(token))
    assert first.status_code == 201, first.text
    again = client.post(URL, json=_vote(), headers=_auth(token))
    assert again.status_code == 200
    assert again.json()["receipt_code"] == first.json()["receipt_code"]
    assert again.json()["replayed"] is True
    results = client.get("/api/v1/consultations/BUDGET/results").json()
    projets = results["questions"][0]
    assert projets["counts"]["bancs"] == 1 and projets["counts"]["fontaines"] == 1
    assert projets["by_channel"] == {"online": {"bancs": 1, "fontaines": 1}}
    assert results["contributions"] == {"counted": 1}


def test_the_same_external_id_in_two_consultations_is_two_contributions(
    client: TestClient, token: str
) -> None:
    budget = client.post(URL, json=_vote("1"), headers=_auth(token))
    parc = client.post(PARC_URL, json=_vote("1", answers=PARC_ANSWERS), headers=_auth(token))
    assert (budget.status_code, parc.status_code) == (201, 201), parc.text
    assert parc.json()["replayed"] is False
    assert parc.json()["receipt_code"] != budget.json()["receipt_code"]
    for code in ("BUDGET", "PARC"):
        results = client.get(f"/api/v1/consultations/{code}/results").json()
        assert results["contributions"] == {"counted": 1}


@pytest.mark.parametrize(
    "change",
    [
        {"answers": {"projets": ["eclairage"]}},
        {"answers": {"projets": ["bancs", "fontaines"], "tranche-age": "18-29"}},
        {"participant": {"kind": "online_account", "id": "bob"}},
        {"language": "en"},
    ],
    ids=["answer", "added-answer", "participant", "language"],
)
def test_the_same_external_id_with_another_body_is_a_conflict(
    client: TestClient, runtime: Runtime, token: str, change: dict[str, Any]
) -> None:
    first = client.post(URL, json=_vote(), headers=_auth(token))
    before = _store(runtime)
    response = client.post(URL, json=_vote(**change), headers=_auth(token))
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "external_id 'v1' was already used for a different contribution to this "
        "consultation: send a new external_id for a new contribution"
    )
    assert _store(runtime) == before
    again = client.post(URL, json=_vote(), headers=_auth(token))
    assert (again.status_code, again.json()["receipt_code"]) == (200, first.json()["receipt_code"])


def test_a_retry_may_spell_the_participant_another_way(client: TestClient, token: str) -> None:
    first = client.post(URL, json=_vote(person="Alice"), headers=_auth(token))
    again = client.post(URL, json=_vote(person=" alice "), headers=_auth(token))
    assert again.status_code == 200 and again.json() == {**first.json(), "replayed": True}


def _store(runtime: Runtime) -> list[Any]:
    """Every contribution, answer and journal event, to show nothing changed."""
    with runtime.sessions() as session:
        rows: list[Any] = []
        for model in (Contribution, Answer, AuditEvent, Participant):
            for row in session.scalars(select(model).order_by(model.id)):
                rows.append({c.key: getattr(row, c.key) for c in model.__table__.columns})
        return rows


def test_same_person_twice_counts_once(client: TestClient, token: str) -> None:
    client.post(URL, json=_vote("a"), headers=_auth(token))
    second = client.post(URL, json=_vote("b"), headers=_auth(token))
    assert second.status_code == 201 and second.json()["status"] == "duplicate"


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (_vote(answers={"projets": ["piscine"]}), 422, "unknown option 'piscine'"),
        (
            _vote(answers={"projets": ["bancs", "fontaines", "toilettes", "eclairage"]}),
            422,
            "at most 3",
        ),
        ({**_vote(), "participant": None}, 422, "one contribution per person"),
        (
            {**_vote(), "participant": {"kind": "email", "id": "a@b.fr"}},
            422,
            "one of: phone, ballot_serial, online_account, kiosk_ticket",
        ),
        ({**_vote(), "extra": 1}, 422, "extra"),
        (_vote(language="de"), 422, "language"),
    ],
)
def test_bad_contributions(
    client: TestClient, token: str, body: dict[str, Any], status: int, needle: str
) -> None:
    response = client.post(URL, json=body, headers=_auth(token))
    assert response.status_code == status
    assert needle in response.text
    assert client.get("/api/v1/consultations/BUDGET/results").json()["contributions"] == {}


def test_unknown_consultation(client: TestClient, token: str) -> None:
    response = client.post(
        "/api/v1/consultations/NOPE/contributions", json=_vote(), headers=_auth(token)
    )
    assert response.status_code == 404
    assert client.get("/api/v1/consultations/NOPE/results").status_code == 404


@pytest.mark.parametrize(
    ("code", "answers", "needle"),
    [
        (
            "PARC",
            {"frequentation": "yes", "priorite": "jeux", "satisfaction": 10**400},
            "is not a number",
        ),
        (
            "PARC",
            {"frequentation": "yes", "priorite": "jeux", "satisfaction": "9" * 400},
            "is not a number",
        ),
        (
            "PARC",
            {"frequentation": "yes", "priorite": "jeux", "satisfaction": 3, "visites": -(10**400)},
            "is not a number",
        ),
    ],
)
def test_hostile_numbers_get_a_reason_not_a_crash(
    client: TestClient, token: str, code: str, answers: dict[str, Any], needle: str
) -> None:
    body = _vote(answers=answers)
    url = f"/api/v1/consultations/{code}/contributions"
    response = client.post(url, json=body, headers=_auth(token))
    assert response.status_code == 422
    assert needle in response.text and len(response.text) < 500


def test_oversized_and_malformed_bodies(client: TestClient, token: str) -> None:
    huge = _vote(answers={"idee": "x" * 2_000_000})
    assert client.post(URL, json=huge, headers=_auth(token)).status_code == 413
    malformed = client.post(
        URL, content=b"{not json", headers={**_auth(token), "Content-Type": "application/json"}
    )
    assert malformed.status_code == 422


def test_health_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/consultations/{code}/contributions" in paths
    codes = [c["code"] for c in client.get("/api/v1/consultations").json()]
    assert codes == ["BUDGET", "PARC"]


def test_results_are_staff_only_before_publication(runtime: Runtime) -> None:
    load_examples(runtime)
    with TestClient(create_app(runtime=runtime)) as anonymous:
        refused = anonymous.get("/api/v1/consultations/BUDGET/results")
        assert refused.status_code == 401
        assert "contributions" not in refused.text
        # PARC's results are published on 7 April 2027.
        with set_clock(Clock(datetime(2027, 4, 8, tzinfo=UTC))):
            published = anonymous.get("/api/v1/consultations/PARC/results")
        assert published.status_code == 200
        assert published.json()["published"] is True
