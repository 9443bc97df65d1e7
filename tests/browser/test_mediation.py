"""The review queue in Chromium, with the keyboard alone; every screen checked by axe-core."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from gateway.runtime import Runtime
from gateway.staff.models import StaffRole
from gateway.store.models import Channel, ContributionStatus
from tests.browser.conftest import screen
from tests.contributions.test_duplicates import make_pair, make_rule, status
from tests.mediation.test_review import contribution, make_unsure
from tests.staff.conftest import PASSWORD, cheap_hashes, make_account  # noqa: F401  (fixture)


def test_review_with_the_keyboard_alone(page: Page, runtime: Runtime, served: str) -> None:
    faint = make_unsure(runtime, confidence=0.2)
    fair = make_unsure(runtime, confidence=0.6)
    make_account(runtime, "carla", StaffRole.AGENT)
    page.goto(f"{served}/staff/sign-in?next=/mediation/review")
    page.get_by_label("Identifiant").focus()
    page.keyboard.type("carla")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Éléments à vérifier")).to_be_visible()
    screen(page, "mediation-queue")
    page.get_by_role("link", name="Commencer la vérification").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Vérifier un élément")).to_be_visible()
    screen(page, "mediation-item")
    page.keyboard.press("a")  # accept the faintest first
    expect(page.locator("#proposed")).to_be_visible()
    page.keyboard.press("r")  # then reject the other
    expect(page.get_by_text("Plus rien à vérifier.")).to_be_visible()
    assert contribution(runtime, faint.contribution_id).status == ContributionStatus.COUNTED
    assert contribution(runtime, fair.contribution_id).status == ContributionStatus.REJECTED


def test_a_pair_kept_with_the_keyboard_alone(page: Page, runtime: Runtime, served: str) -> None:
    make_rule(runtime, "review")
    first, second = make_pair(runtime, Channel.SMS, Channel.KIOSK)
    make_account(runtime, "carla", StaffRole.MEDIATEUR)
    page.goto(f"{served}/staff/sign-in?next=/mediation/review%3Freason%3Dduplicate")
    page.get_by_label("Identifiant").focus()
    page.keyboard.type("carla")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Commencer la vérification").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Vérifier un doublon possible")).to_be_visible()
    screen(page, "mediation-pair")
    page.keyboard.press("2")  # keep the second
    expect(page.get_by_text("Plus rien à vérifier.")).to_be_visible()
    assert (status(runtime, first), status(runtime, second)) == ("superseded", "counted")
