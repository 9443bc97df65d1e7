"""The public home page, and a page rather than JSON for a browser that lost its way."""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.channels import build_runtime
from gateway.consultations import repository as consultations
from gateway.consultations.schema import Definition
from gateway.runtime import Runtime
from gateway.staff.models import StaffRole
from tests.conftest import Clock, make_settings
from tests.helpers import load_examples
from tests.staff.conftest import cheap_hashes, make_account, sign_in  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("clock")
HTML = {"accept": "text/html,application/xhtml+xml"}


@contextmanager
def make_client(tmp_path: Path, sqlite_url: str, **settings: object) -> Iterator[TestClient]:
    runtime = build_runtime(make_settings(tmp_path, sqlite_url, **settings), dispatch=False)
    load_examples(runtime)
    with TestClient(create_app(runtime=runtime)) as client:
        yield client
    runtime.close()


@pytest.fixture
def client(tmp_path: Path, sqlite_url: str) -> Iterator[TestClient]:
    with make_client(tmp_path, sqlite_url, twilio_from_number="+33612345678") as client:
        yield client


def _edit(runtime: Runtime, code: str, **change: object) -> None:
    with runtime.sessions() as session, session.begin():
        definition = consultations.definition_of(consultations.get(session, code))
        edited = Definition.model_validate({**definition.model_dump(mode="json"), **change})
        consultations.save_definition(session, edited)


def test_the_home_page_lists_every_way_to_answer_what_is_open(client: TestClient) -> None:
    page = client.get("/")
    text = html.unescape(page.text)

    assert page.status_code == 200 and '<html lang="fr">' in page.text
    assert "Budget participatif 2027" in page.text
    assert "Par SMS : envoyez BUDGET au 06 12 34 56 78." in page.text
    assert "Par téléphone : appelez le 06 12 34 56 78" in page.text
    assert 'href="/c/BUDGET"' in page.text
    assert "Vous pouvez répondre jusqu'au 31 janvier 2027." in text
    english = client.get("/?lang=en").text
    assert "By SMS: send BUDGET to 06 12 34 56 78." in english


def test_no_number_no_disabled_channel_and_nothing_closed_is_offered(
    tmp_path: Path, sqlite_url: str, clock: Clock
) -> None:
    with make_client(tmp_path, sqlite_url, channels=["kiosk", "sms"]) as client:
        page = html.unescape(client.get("/").text)
        clock.advance(days=400)
        later = html.unescape(client.get("/").text)

    assert "Par SMS" not in page and "Par téléphone" not in page  # no number configured
    assert 'href="/c/' not in page and "Sur papier" not in page  # channels not enabled
    assert "À la mairie, sur l'écran tactile." in page
    assert "Il n'y a pas de consultation ouverte aujourd'hui." in later


def test_published_results_are_linked(client: TestClient, clock: Clock) -> None:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert 'href="/results/BUDGET"' not in client.get("/").text
    _edit(runtime, "BUDGET", results={"published_at": (clock.now - timedelta(hours=1)).isoformat()})

    assert 'href="/results/BUDGET"' in client.get("/").text


def test_a_lost_browser_gets_a_page_and_an_api_client_json(client: TestClient) -> None:
    page = client.get("/no/such/page", headers=HTML)
    assert page.status_code == 404 and "Page introuvable" in page.text
    assert '<a href="/">' in page.text

    api = client.get("/no/such/page", headers={"accept": "application/json"})
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    posted = client.post("/no/such/page", headers=HTML)
    assert posted.status_code in (404, 405) and posted.headers["content-type"].startswith(
        "application/json"
    )


def test_the_staff_home_links_every_consultation_s_results(client: TestClient) -> None:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    make_account(runtime, "alice", StaffRole.AGENT)
    sign_in(client, "alice")

    page = client.get("/staff/")

    assert "<title>Espace agents — Porte-voix</title>" in page.text
    assert page.text.count('href="/results/') == 2
    assert 'href="/staff/paper"' in page.text
