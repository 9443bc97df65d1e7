"""Every screen's markup parses without a single error under the HTML standard's parser."""

from __future__ import annotations

import html5lib
import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.runtime import Runtime
from tests.kiosk.test_assist import assisted_start, make_mediateur, pin_in
from tests.kiosk.test_pages import answer, go, start


def parses(page: httpx.Response) -> None:
    assert page.status_code in (200, 400, 404), page.status_code
    parser = html5lib.HTMLParser(strict=True)
    try:
        parser.parse(page.text)
    except html5lib.html5parser.ParseError as error:
        pytest.fail(f"{page.url}: {error}")


def test_every_kiosk_screen_is_valid_html(client: TestClient, kiosk_id: str) -> None:
    parses(client.get(f"/kiosk/{kiosk_id}"))
    parses(client.get("/kiosk/nope"))
    parses(start(client, kiosk_id, "PARC"))
    for question, value in (("frequentation", "yes"), ("priorite", "arbres"),
                            ("satisfaction", "4"), ("visites", "2"), ("idee", "Des arbres"),
                            ("tranche-age", "18-29")):  # fmt: skip
        parses(go(client, answer(client, kiosk_id, question, value)))
    parses(answer(client, kiosk_id, "quartier", "piscine"))  # a refusal, announced
    summary = go(client, answer(client, kiosk_id, "quartier", "gare"))
    parses(summary)
    parses(go(client, client.post(f"/kiosk/{kiosk_id}/summary", data={"action": "send"})))


def test_every_assisted_and_online_screen_is_valid_html(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    make_mediateur(runtime)
    parses(client.get(f"/kiosk/{kiosk_id}/assist"))
    parses(pin_in(client, kiosk_id, pin="000000"))
    parses(go(client, pin_in(client, kiosk_id)))
    parses(client.get(f"/kiosk/{kiosk_id}/consent?code=BUDGET"))
    parses(assisted_start(client, kiosk_id, "BUDGET", "signed"))
    parses(client.get("/c/BUDGET"))
    parses(client.post("/c/BUDGET/phone", data={"phone": "12"}))
    parses(client.get("/c/NOPE"))
