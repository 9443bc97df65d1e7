"""The kiosk in Chromium: whole passes alone and assisted, the idle wipe, every screen checked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import func, select

from gateway.kiosk import service
from gateway.kiosk.models import KioskSession
from gateway.mandates.models import KioskMandate
from gateway.runtime import Runtime
from gateway.staff import service as staff
from gateway.staff.models import StaffRole
from gateway.store.models import Contribution
from tests.browser.conftest import screen

pytestmark = pytest.mark.browser
PIN = "482915"
IDEA = "Plus d'arbres, s'il vous plaît."


@pytest.fixture
def kiosk(runtime: Runtime, served: str) -> str:
    with runtime.sessions() as session, session.begin():
        kiosk_id = service.register(session, "mairie-accueil", "Mairie, accueil").id
    return f"{served}/kiosk/{kiosk_id}"


def make_mediateur(runtime: Runtime, login: str = "mina") -> None:
    with runtime.sessions() as session, session.begin():
        account = staff.create_account(
            session, login, StaffRole.MEDIATEUR, "correct horse battery staple"
        )
        staff.set_pin(session, account, PIN)


def choose(page: Page, *labels: str, name: str, typed: tuple[str, str] | None = None) -> None:
    """Tick the options by their visible label (or type into a field), check, tap Next."""
    expect(page.locator("#question-text")).to_be_focused()
    for label in labels:
        page.get_by_label(label, exact=True).check()
    if typed:
        page.get_by_label(typed[0]).fill(typed[1])
    screen(page, name)
    page.get_by_role("button", name="Suivant").click()


def only_contribution(runtime: Runtime) -> Contribution:
    with runtime.sessions() as session:
        row = session.scalars(select(Contribution)).one()
        session.expunge(row)
        return row


def answers_of(runtime: Runtime) -> dict[str, object]:
    with runtime.sessions() as session:
        row = session.scalars(select(Contribution)).one()
        return {a.question_id: a.value for a in row.answers}


def vote(page: Page, prefix: str) -> None:
    """From the first question of the vote to its receipt."""
    expect(page.get_by_text("Question 1 sur 2")).to_be_visible()
    choose(
        page,
        "Des bancs et de l'ombre en ville",
        "Des fontaines à eau potable",
        name=f"{prefix}-question-1",
    )
    choose(page, "18 à 29 ans", name=f"{prefix}-question-2")
    expect(page.get_by_role("heading", name="Vérifiez vos réponses")).to_be_visible()
    screen(page, f"{prefix}-summary")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page.locator(".receipt-code")).to_be_visible()
    screen(page, f"{prefix}-receipt")


def test_a_whole_vote_alone(page: Page, runtime: Runtime, kiosk: str) -> None:
    page.goto(kiosk)
    screen(page, "kiosk-home")
    page.get_by_role("button", name=re.compile("^Budget participatif")).click()
    vote(page, "vote-alone")
    row = only_contribution(runtime)
    assert (row.channel, row.status, row.assisted_by) == ("kiosk", "review", None)
    assert page.locator(".receipt-code").inner_text() == row.receipt_code
    assert answers_of(runtime) == {"projets": ["bancs", "fontaines"], "tranche-age": "18-29"}


def test_the_optional_number_is_offered_and_can_be_left(
    page: Page, runtime: Runtime, kiosk: str
) -> None:
    page.goto(kiosk)
    page.get_by_role("button", name=re.compile("^Budget participatif")).click()
    choose(page, "Des bancs et de l'ombre en ville", name="phone-question-1")
    choose(page, "18 à 29 ans", name="phone-question-2")
    page.get_by_role("link", name="Donner mon numéro").click()
    expect(
        page.get_by_role("heading", name="Votre numéro de portable (facultatif)")
    ).to_be_visible()
    screen(page, "kiosk-phone")
    page.get_by_role("link", name="Continuer sans numéro").click()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page.locator(".receipt-code")).to_be_visible()
    assert only_contribution(runtime).status == "review"  # nobody known: a médiateur checks


def test_a_whole_vote_assisted(page: Page, runtime: Runtime, kiosk: str) -> None:
    make_mediateur(runtime)
    page.goto(kiosk)
    page.get_by_role("link", name="Médiateur : mode accompagné").click()
    screen(page, "assist-sign-in")
    page.get_by_label("Identifiant").fill("mina")
    page.get_by_label("Code PIN de borne").fill(PIN)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("mina, médiateur, vous aide")).to_be_visible()
    screen(page, "assist-home")
    page.get_by_role("button", name=re.compile("^Budget participatif")).click()
    screen(page, "assist-consent")
    page.get_by_label("La personne donne son accord sur l'écran").check()
    page.get_by_label("J'accepte d'être aidé par mina").check()
    page.get_by_role("button", name="Commencer").click()
    vote(page, "vote-assisted")
    page.get_by_role("button", name="Terminer").click()
    row = only_contribution(runtime)
    assert (row.channel, row.assisted_by) == ("kiosk", "staff:mina")
    with runtime.sessions() as session:
        mandate = session.scalars(select(KioskMandate)).one()
        assert (mandate.consent, mandate.contribution_id) == ("signed", row.id)
        assert mandate.ended_at is not None


def questionnaire(page: Page, prefix: str) -> None:
    """From the first question of the park's questionnaire to its receipt."""
    choose(page, "Oui", name=f"{prefix}-yes-no")
    choose(page, "Éclairer le parc le soir", name=f"{prefix}-single-choice")
    choose(page, "4", name=f"{prefix}-scale")
    choose(page, name=f"{prefix}-number", typed=("Votre nombre", "2"))
    choose(page, name=f"{prefix}-free-text", typed=("Votre réponse", IDEA))
    choose(page, "18 à 29 ans", name=f"{prefix}-age")
    choose(page, "Quartier de la Gare", name=f"{prefix}-district")
    screen(page, f"{prefix}-summary")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page.locator(".receipt-code")).to_be_visible()


def test_a_whole_questionnaire_alone(page: Page, runtime: Runtime, kiosk: str) -> None:
    page.goto(kiosk)
    page.get_by_role("button", name=re.compile("^Le nouveau parc")).click()
    questionnaire(page, "parc-alone")
    answers = answers_of(runtime)
    assert answers["satisfaction"] == 4 and answers["idee"] == IDEA
    assert only_contribution(runtime).assisted_by is None


def test_a_paper_form_keyed_in_over_the_counter(page: Page, runtime: Runtime, kiosk: str) -> None:
    make_mediateur(runtime)
    page.goto(f"{kiosk}/assist")
    page.get_by_label("Identifiant").fill("mina")
    page.get_by_label("Code PIN de borne").fill(PIN)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("button", name=re.compile("^Le nouveau parc")).click()
    page.get_by_label("La personne a remis un formulaire papier").check()
    page.get_by_role("button", name="Commencer").click()
    questionnaire(page, "parc-paper")
    row = only_contribution(runtime)
    assert (row.channel, row.assisted_by) == ("paper", "staff:mina")


def test_the_idle_wipe_leaves_nothing(page: Page, runtime: Runtime, kiosk: str) -> None:
    page.clock.install()
    page.goto(kiosk)
    page.get_by_role("button", name=re.compile("^Budget participatif")).click()
    page.get_by_label("Des bancs et de l'ombre en ville", exact=True).check()
    page.get_by_role("button", name="Suivant").click()
    expect(page.get_by_text("Question 2 sur 2")).to_be_visible()
    settings = runtime.settings
    page.clock.run_for(settings.kiosk_idle_seconds * 1000)
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_visible()
    expect(page.get_by_role("button", name="Continuer")).to_be_focused()
    screen(page, "idle-warning")
    page.clock.run_for(settings.kiosk_warning_seconds * 1000)
    expect(page).to_have_url(re.compile(r"notice=ended$"))
    screen(page, "idle-wiped")
    stored = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""]
    assert not any(c["name"] == "pv_kiosk" for c in page.context.cookies())
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(KioskSession)) == 0
    # Back through the history, every earlier screen asks the server, which has nothing.
    page.go_back()
    expect(page.get_by_text("Des bancs et de l'ombre")).to_have_count(0)
    expect(page.get_by_text("Question 2 sur 2")).to_have_count(0)


def test_the_offline_outbox_survives_the_idle_wipe_unreadable(
    page: Page, context: BrowserContext, runtime: Runtime, kiosk: str
) -> None:
    page.clock.install()
    page.goto(kiosk)
    page.get_by_role("button", name=re.compile("^Budget participatif")).click()
    page.get_by_label("Des bancs et de l'ombre en ville", exact=True).check()
    page.get_by_role("button", name="Suivant").click()
    page.get_by_label("18 à 29 ans", exact=True).check()
    page.get_by_role("button", name="Suivant").click()
    context.set_offline(True)
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page.locator("#outbox-status")).to_contain_text("Pas encore envoyé")
    screen(page, "outbox-waiting")
    assert only_count(runtime) == 0
    # Nobody continues: the screen is emptied at once, the rest waits for the network.
    settings = runtime.settings
    page.clock.run_for((settings.kiosk_idle_seconds + settings.kiosk_warning_seconds) * 1000)
    expect(page.get_by_text("Des bancs et de l'ombre")).to_have_count(0)
    kept = page.evaluate("() => [localStorage.getItem('pv-outbox'), sessionStorage.length]")
    assert kept[0] and kept[1] == 0
    for answer in ("bancs", "18-29", "BUDGET", "projets"):
        assert answer not in kept[0]
    context.set_offline(False)
    expect(page).to_have_url(re.compile(r"notice=ended$"))
    page.wait_for_function("() => !localStorage.getItem('pv-outbox')")
    row = only_contribution(runtime)
    assert row.channel == "kiosk" and answers_of(runtime)["projets"] == ["bancs"]
    expect(page.get_by_text(row.receipt_code)).to_have_count(0)


def only_count(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Contribution)) or 0


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until `target` has the focus, as a keyboard-only resident would."""
    for _ in range(40):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{target} cannot be reached with the Tab key")


def test_a_whole_vote_with_the_keyboard_alone(page: Page, runtime: Runtime, kiosk: str) -> None:
    page.goto(kiosk)
    tab_to(page, page.get_by_role("button", name=re.compile("^Budget participatif")))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Des bancs et de l'ombre en ville", exact=True))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Suivant"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Question 2 sur 2")).to_be_visible()
    tab_to(page, page.get_by_label("Moins de 18 ans", exact=True))
    page.keyboard.press("ArrowDown")  # within a group of radios, the arrows choose
    tab_to(page, page.get_by_role("button", name="Suivant"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("button", name="Envoyer mes réponses"))
    page.keyboard.press("Enter")
    expect(page.locator(".receipt-code")).to_be_visible()
    assert answers_of(runtime) == {"projets": ["bancs"], "tranche-age": "18-29"}
