"""Every screen reachable by a link, crawled in Chromium as a resident and as an admin.

The crawl starts from the home page and the staff home and follows every same-site
link, so a new page is swept as soon as something links to it. Each HTML page must
pass axe-core, in French and in English, and log no error in the console; a
resident's page must also fit a 320 px wide phone. Every page route of the app is
either reached or named below with the test that covers it instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.routing import APIRoute
from playwright.sync_api import BrowserContext, Page

from gateway.app import create_app
from gateway.kiosk import service as kiosks
from gateway.runtime import Runtime
from gateway.staff.models import StaffRole
from tests.browser.conftest import screen, serving
from tests.conftest import Clock
from tests.helpers import load_examples
from tests.mediation.test_review import make_unsure
from tests.paper_ocr.forms import make_ballot, make_layout, make_png, scan
from tests.staff.conftest import PASSWORD, cheap_hashes, make_account  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
# Screens behind a form post, swept by the tests that walk through them.
WALKED = {
    "/kiosk/{kiosk_id}/question": "test_kiosk.py",
    "/kiosk/{kiosk_id}/summary": "test_kiosk.py",
    "/kiosk/{kiosk_id}/receipt": "test_kiosk.py",
    "/kiosk/{kiosk_id}/consent": "test_kiosk.py::test_a_whole_vote_assisted",
    "/kiosk/{kiosk_id}/phone": "test_kiosk.py (the optional number, on the summary)",
    "/kiosk/{kiosk_id}/verify": "test_kiosk.py (the optional number, on the summary)",
    "/c/{code}/question": "test_online.py",
    "/c/{code}/summary": "test_online.py",
    "/c/{code}/receipt": "test_online.py",
    "/c/{code}/verify": "test_online.py",
}
# Not pages: data, pictures and the SMS simulator's developer tool.
NOT_PAGES = re.compile(r"^/(api|schema|healthz|static)|\.(png|csv|json)$|/evidence/|/api/")
RESIDENT = re.compile(r"^/($|c/|kiosk/|results/)")


@pytest.fixture
def site(sqlite_runtime: Runtime, clock: Clock, tmp_path: Path) -> Iterator[str]:
    runtime = sqlite_runtime
    load_examples(runtime)
    with runtime.sessions() as session, session.begin():
        kiosks.register(session, "mairie-accueil", "Mairie, accueil")
    make_account(runtime, "ada", StaffRole.ADMIN)
    make_unsure(runtime, confidence=0.3)
    layout = make_layout(runtime, "BUDGET")
    scan(
        runtime,
        [
            make_png(
                tmp_path,
                make_ballot(runtime, layout, {("projets", "bancs"): "cross"}),
                "ballot.png",
            )
        ],
    )
    with serving(runtime) as base:
        yield base


def _page_routes(runtime: Runtime) -> set[str]:
    found = set()
    for route in create_app(runtime=runtime).router.routes:
        routes = getattr(getattr(route, "original_router", None), "routes", [route])
        for inner in routes:
            page = isinstance(inner, APIRoute) and "GET" in inner.methods
            if page and not NOT_PAGES.search(inner.path) and inner.path != "/sms/simulator":
                found.add(inner.path)
    return found


def _route_of(path: str, routes: set[str]) -> str | None:
    for route in sorted(routes, key=lambda route: route.count("{")):  # literal paths first
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", route) + "$"
        if re.match(pattern, path):
            return route
    return None


def _crawl(page: Page, base: str, seeds: list[str], language: str, faults: list[str]) -> list[str]:
    """Visit every same-site page linked from the seeds; the paths visited.

    What is wrong with a page is added to `faults`, so one run lists every fault."""
    seen: list[str] = []
    queue = list(seeds)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    while queue:
        path = queue.pop(0)
        if path in seen or NOT_PAGES.search(path):
            continue
        seen.append(path)
        response = page.goto(f"{base}{path}?lang={language}")
        if response is None or not response.ok:
            faults.append(f"{path}: {response and response.status}")
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        try:
            screen(page, f"sweep-{language}{path.replace('/', '-')}")
        except AssertionError as fault:
            faults.append(str(fault).splitlines()[0])
        faults.extend(f"{path}: {error}" for error in errors)
        errors.clear()
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            link = urlsplit(href)
            if f"{link.scheme}://{link.netloc}" == base and link.path not in seen:
                queue.append(link.path)
    return seen


def _fits_a_phone(context: BrowserContext, base: str, path: str) -> bool:
    page = context.new_page()
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{base}{path}")
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    page.close()
    return bool(wide <= 320)


def _sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/staff/sign-in")
    page.locator("#login").fill("ada")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(f"{base}/staff/")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_screen_passes_axe_and_fits(
    page: Page, context: BrowserContext, site: str, sqlite_runtime: Runtime, language: str
) -> None:
    faults: list[str] = []
    resident = _crawl(page, site, ["/"], language, faults)
    for lost in ("/no/such/page", "/kiosk/no-such-kiosk", "/c/NOSUCH"):
        assert page.goto(f"{site}{lost}?lang={language}").status == 404  # type: ignore[union-attr]
        screen(page, f"sweep-{language}-not-found{lost.replace('/', '-')}")
    _sign_in(page, site)
    staff = _crawl(page, site, ["/staff/", "/mediation/review/next"], language, faults)
    assert faults == []

    routes = _page_routes(sqlite_runtime)
    reached = {_route_of(path, routes) for path in [*resident, *staff]}
    missing = routes - reached - set(WALKED)
    assert missing == set(), f"page routes no link leads to: {sorted(missing)}"
    too_wide = [p for p in resident if RESIDENT.match(p) and not _fits_a_phone(context, site, p)]
    assert too_wide == []
