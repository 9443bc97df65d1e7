"""Real Chromium (Debian's), driven by Playwright against the app served by uvicorn.

Every screen a test visits goes through `screen()`: axe-core runs inside it and must
find no violation, and a screenshot is kept under var/test-artifacts/screens.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Error, Page, sync_playwright

from gateway.app import create_app
from gateway.runtime import Runtime
from tests.conftest import Clock, require_service
from tests.helpers import load_examples

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("PORTEVOIX_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "var" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = ROOT / "var" / "test-artifacts" / "screens"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_SECONDS = 10


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        require_service(None, f"Chromium at {CHROMIUM} (scripts/system-deps.sh test installs it)")
    if not AXE.exists():
        require_service(None, "axe-core (scripts/browser-deps.sh installs it)")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
            )
        except Error as error:
            pytest.fail(f"Chromium at {CHROMIUM} could not start: {error}")
        yield chromium
        chromium.close()


@contextmanager
def serving(runtime: Runtime) -> Iterator[str]:
    """The app on a free local port, in a thread; the base address."""
    config = uvicorn.Config(
        create_app(runtime=runtime), host="127.0.0.1", port=0, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:  # a readiness poll, not a timing assumption
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://localhost:{port}"
    finally:
        server.should_exit = True
        thread.join()


@pytest.fixture
def served(runtime: Runtime, clock: Clock) -> Iterator[str]:
    load_examples(runtime)
    with serving(runtime) as base:
        yield base


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1024, "height": 768})
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.set_default_timeout(5000)  # a page of this app answers in milliseconds
    return page


def screen(page: Page, name: str) -> None:
    """Run axe-core in the page (zero violations) and keep a screenshot of it."""
    page.wait_for_load_state()
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("() => axe.run(document)")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
    found = [_described(v) for v in result["violations"]]
    assert found == [], f"{name}: {found}"


def _described(violation: dict[str, Any]) -> str:
    targets = [node["target"] for node in violation["nodes"]]
    return f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
