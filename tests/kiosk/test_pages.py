"""The kiosk over HTTP: whole passes into the store and the tally, tampering, replay, idle wipe."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.kiosk import service
from gateway.kiosk.models import KioskSession
from gateway.results.tally import tally
from gateway.runtime import Runtime
from gateway.store.models import Contribution
from tests.conftest import Clock


def go(client: TestClient, response: httpx.Response) -> httpx.Response:
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"])


def start(client: TestClient, kiosk_id: str, code: str) -> httpx.Response:
    return go(client, client.post(f"/kiosk/{kiosk_id}/start", data={"code": code}))


def answer(client: TestClient, kiosk_id: str, question: str, *values: str) -> httpx.Response:
    form = {"question": question, "answer": list(values), "action": "next"}
    return client.post(f"/kiosk/{kiosk_id}/answer", data=form)


def contributions(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Contribution)) or 0


def vote(client: TestClient, kiosk_id: str) -> httpx.Response:
    page = start(client, kiosk_id, "BUDGET")
    assert "Question 1 sur 2" in page.text
    page = go(client, answer(client, kiosk_id, "projets", "bancs", "fontaines"))
    assert "Question 2 sur 2" in page.text
    return go(client, answer(client, kiosk_id, "tranche-age", "18-29"))


def test_home_lists_the_open_consultations_and_no_page_is_stored(
    client: TestClient, kiosk_id: str
) -> None:
    home = client.get(f"/kiosk/{kiosk_id}")
    assert home.status_code == 200 and home.headers["cache-control"] == "no-store"
    assert "Budget" in home.text and 'lang="fr"' in home.text
    english = client.get(f"/kiosk/{kiosk_id}?lang=en")
    assert 'lang="en"' in english.text and "Have your say" in english.text


def test_a_whole_vote_reaches_the_store_and_the_tally(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    summary = vote(client, kiosk_id)
    assert "Vérifiez vos réponses" in summary.text and "18 à 29 ans" in summary.text
    receipt = go(client, client.post(f"/kiosk/{kiosk_id}/summary", data={"action": "send"}))
    assert "receipt-code" in receipt.text
    # Nobody is identified at a kiosk alone: one person, one vote needs a médiateur's check.
    assert "Une personne de la mairie va vérifier vos réponses" in receipt.text
    with runtime.sessions() as session:
        row = session.scalars(select(Contribution)).one()
        assert (row.channel, row.status, row.assisted_by) == ("kiosk", "review", None)
        assert row.receipt_code in receipt.text
        assert {a.question_id: a.value for a in row.answers}["projets"] == ["bancs", "fontaines"]
        assert {a.source for a in row.answers} == {"touch"}
        counts = tally(session, "BUDGET", "fr").as_dict()
    assert counts["contributions"] == {"review": 1} and "bancs" in str(counts)


def test_a_whole_questionnaire_with_a_skip_and_a_back(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    start(client, kiosk_id, "PARC")
    go(client, answer(client, kiosk_id, "frequentation", "yes"))
    back = go(client, client.post(f"/kiosk/{kiosk_id}/answer", data={"action": "back"}))
    assert "Question 1 sur 7" in back.text
    go(client, answer(client, kiosk_id, "frequentation", "no"))
    go(client, answer(client, kiosk_id, "priorite", "eclairage"))
    go(client, answer(client, kiosk_id, "satisfaction", "4"))
    go(client, answer(client, kiosk_id, "visites", "2"))
    go(client, client.post(f"/kiosk/{kiosk_id}/answer", data={"action": "skip"}))
    go(client, answer(client, kiosk_id, "tranche-age", "18-29"))
    summary = go(client, answer(client, kiosk_id, "quartier", "gare"))
    assert "Pas de réponse" in summary.text
    go(client, client.post(f"/kiosk/{kiosk_id}/summary", data={"action": "send"}))
    with runtime.sessions() as session:
        row = session.scalars(select(Contribution)).one()
        values = {a.question_id: a.value for a in row.answers}
    assert values["frequentation"] == "no" and values["satisfaction"] == 4
    assert "idee" not in values or values["idee"] is None


@pytest.mark.parametrize(
    ("question", "values"),
    [
        ("projets", ["piscine"]),  # an unknown option
        ("projets", ["bancs", "fontaines", "eclairage", "toilettes"]),  # too many
        ("frequentation", ["yes"]),  # another consultation's question
        ("tranche-age", ["18-29"]),  # not the current question
    ],
)
def test_a_tampered_post_stores_nothing_and_says_why(
    client: TestClient, runtime: Runtime, kiosk_id: str, question: str, values: list[str]
) -> None:
    start(client, kiosk_id, "BUDGET")
    refused = answer(client, kiosk_id, question, *values)
    assert refused.status_code == 400 and 'role="alert"' in refused.text
    assert "Question 1 sur 2" in refused.text
    with runtime.sessions() as session:
        row = session.scalars(select(KioskSession)).one()
        assert row.state["answers"] == {} and row.state["step"] == 0
    assert contributions(runtime) == 0


def test_a_replayed_submission_counts_once(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    vote(client, kiosk_id)
    first = client.post(f"/kiosk/{kiosk_id}/summary", data={"action": "send"})
    again = client.post(f"/kiosk/{kiosk_id}/summary", data={"action": "send"})
    assert first.headers["location"] == again.headers["location"]
    assert contributions(runtime) == 1


def test_idle_wipes_the_session_server_side(
    client: TestClient, runtime: Runtime, kiosk_id: str, clock: Clock
) -> None:
    vote(client, kiosk_id)
    settings = runtime.settings
    clock.advance(seconds=settings.kiosk_idle_seconds + settings.kiosk_warning_seconds)
    late = client.post(f"/kiosk/{kiosk_id}/summary", data={"action": "send"})
    assert late.headers["location"].endswith("notice=ended")
    assert contributions(runtime) == 0
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(KioskSession)) == 0


def test_finishing_erases_the_session_and_the_cookies(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    vote(client, kiosk_id)
    assert "Check your answers" in client.get(f"/kiosk/{kiosk_id}/summary?lang=en").text
    ended = client.post(f"/kiosk/{kiosk_id}/end")
    assert ended.headers["cache-control"] == "no-store"
    assert not client.cookies.get("pv_kiosk") and not client.cookies.get("pv_lang")
    home = client.get(f"/kiosk/{kiosk_id}/summary")
    assert home.headers["location"].endswith("notice=ended")
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(KioskSession)) == 0


def test_an_unknown_kiosk_is_a_clean_404(client: TestClient) -> None:
    for page in (client.get("/kiosk/nope"), client.post("/kiosk/nope/start", data={})):
        assert page.status_code == 404 and "Cette borne n'existe pas" in page.text


def test_a_closed_consultation_is_refused_with_a_message(
    client: TestClient, kiosk_id: str, clock: Clock
) -> None:
    clock.advance(days=3650)
    closed = client.post(f"/kiosk/{kiosk_id}/start", data={"code": "BUDGET"})
    assert closed.headers["location"].endswith("notice=closed")
    assert "Cette consultation est fermée" in client.get(closed.headers["location"]).text


def sealed_of(summary: httpx.Response) -> str:
    found = re.search(r'name="sealed" value="([^"]+)"', summary.text)
    assert found, summary.text
    return found.group(1)


def test_the_outbox_records_a_sealed_pass_once_even_after_the_wipe(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    sealed = sealed_of(vote(client, kiosk_id))
    assert "bancs" not in sealed and "18-29" not in sealed
    client.post(f"/kiosk/{kiosk_id}/end")  # the idle wipe, before the network came back
    first = client.post(f"/kiosk/{kiosk_id}/outbox", data={"sealed": sealed})
    again = client.post(f"/kiosk/{kiosk_id}/outbox", data={"sealed": sealed})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and contributions(runtime) == 1
    with runtime.sessions() as session:
        row = session.scalars(select(Contribution)).one()
        assert row.receipt_code == first.json()["receipt"] and row.channel == "kiosk"


def test_a_forged_or_misplaced_sealed_pass_is_refused(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    sealed = sealed_of(vote(client, kiosk_id))
    forged = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    assert client.post(f"/kiosk/{kiosk_id}/outbox", data={"sealed": forged}).status_code == 400
    with runtime.sessions() as session, session.begin():
        other = service.register(session, "mediatheque", "Médiathèque").id
    assert client.post(f"/kiosk/{other}/outbox", data={"sealed": sealed}).status_code == 400
    assert client.post("/c/BUDGET/outbox", data={"sealed": sealed}).status_code == 400
    assert contributions(runtime) == 0
