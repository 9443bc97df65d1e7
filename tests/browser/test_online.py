"""The online pages in Chromium at phone size: a one-time code, then the same phone by SMS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from gateway.app import create_app
from gateway.runtime import Runtime
from gateway.store.models import Contribution, ContributionStatus
from gateway.twilio.standin import TwilioStandIn, twilio_stand_in
from tests.browser.conftest import screen, serving
from tests.conftest import Clock
from tests.kiosk.test_online import ACCOUNT, CODE, NUMBER, make_online_runtime
from tests.sms.twilio import TOKEN, Phone

pytestmark = pytest.mark.browser


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    with twilio_stand_in(ACCOUNT, TOKEN) as server:
        yield server


@pytest.fixture
def online_runtime(
    tmp_path: Path, db_url: str, twilio: TwilioStandIn, clock: Clock
) -> Iterator[Runtime]:
    runtime = make_online_runtime(tmp_path, db_url, twilio)
    yield runtime
    runtime.close()


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A cheap phone's screen: 320 px wide."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.set_default_timeout(5000)
    yield page
    context.close()


def test_a_code_vote_online_then_the_same_phone_by_sms_counts_once(
    phone_page: Page, online_runtime: Runtime, twilio: TwilioStandIn
) -> None:
    page = phone_page
    with serving(online_runtime) as base:
        page.goto(f"{base}/c/BUDGET")
        screen(page, "online-phone")
        page.get_by_label("Votre numéro de portable").fill("06 12 34 56 78")
        page.get_by_role("button", name="Recevoir un code").click()
        screen(page, "online-code")
        code = CODE.search(twilio.sent[-1]["Body"])
        assert code and twilio.sent[-1]["To"] == NUMBER
        page.get_by_label("Code reçu par SMS").fill(code.group(1))
        page.get_by_role("button", name="Vérifier le code").click()
        expect(page.locator("#question-text")).to_be_focused()
        page.get_by_label("Des bancs et de l'ombre en ville", exact=True).check()
        screen(page, "online-question-1")
        page.get_by_role("button", name="Suivant").click()
        page.get_by_label("18 à 29 ans", exact=True).check()
        page.get_by_role("button", name="Suivant").click()
        screen(page, "online-summary")
        page.get_by_role("button", name="Envoyer mes réponses").click()
        expect(page.locator(".receipt-code")).to_be_visible()
        screen(page, "online-receipt")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    with TestClient(create_app(runtime=online_runtime)) as client:
        sms = Phone(client, NUMBER)
        for text in ("BUDGET", "1", "2"):
            sms.text(text)
    with online_runtime.sessions() as session:
        rows = [(r.channel, r.status) for r in session.scalars(select(Contribution))]
    counted = [row for row in rows if row[1] == ContributionStatus.COUNTED]
    assert counted == [("online", ContributionStatus.COUNTED)], rows


def test_an_unknown_consultation_is_a_clean_page(page: Page, served: str) -> None:
    page.goto(f"{served}/c/NOPE")
    screen(page, "online-not-found")
    assert re.search("n'existe pas", page.content())
