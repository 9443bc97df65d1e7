"""The results page: public once published, staff-only before; charts with their tables."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.clock import set_clock
from gateway.runtime import Runtime
from gateway.staff.models import StaffRole
from tests.conftest import Clock
from tests.results.seed import seed
from tests.staff.conftest import cheap_hashes, make_account, sign_in  # noqa: F401

AFTER_PUBLICATION = datetime(2027, 4, 8, 9, 0, tzinfo=UTC)
BEFORE_PUBLICATION = datetime(2027, 4, 7, 15, 0, tzinfo=UTC)


@pytest.fixture
def pinned() -> Iterator[Clock]:
    clock = Clock(AFTER_PUBLICATION)
    with set_clock(clock):
        yield clock


@pytest.fixture
def client(runtime: Runtime, pinned: Clock) -> Iterator[TestClient]:
    seed(runtime)
    with TestClient(create_app(runtime=runtime), follow_redirects=False) as test_client:
        yield test_client


def _row(page: str, header: str) -> list[str]:
    """The cells of the first table row whose header cell is `header`."""
    found = re.search(rf'<tr><th scope="row">{re.escape(header)}</th>(.*?)</tr>', page)
    assert found, header
    return re.findall(r"<td>(.*?)</td>", found.group(1))


def test_published_results_are_public_and_french_first(client: TestClient) -> None:
    page = client.get("/results/PARC")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Résultats : Le nouveau parc des Tilleuls</h1>" in text
    assert "pas encore publiés" not in text
    # SMS, Phone, Kiosk, Paper, Online, total, awaiting review.
    assert _row(text, "Des jeux pour enfants") == ["0", "0", "1", "0", "2", "3", "0"]
    assert _row(text, "Éclairer le parc le soir") == ["0", "0", "0", "0", "0", "0", "1"]
    assert "à égalité avec Plus de bancs" in text
    assert _row(text, "60 ans ou plus")[-4:] == ["3", "42.9 %", "19.1 %", "2.24"]
    assert _row(text, "2026-12-02") == ["1", "0", "0", "1", "1"]
    assert "Qui manquerait avec internet seul" in text and "Méthode" in text


def test_english_through_the_catalogue(client: TestClient) -> None:
    page = client.get("/results/PARC?lang=en").text
    assert "<h1>Results : The new Parc des Tilleuls</h1>" in page
    assert "Who would be missing with online alone" in page and "Plant trees" in page


def test_every_chart_is_titled_and_every_table_captioned(client: TestClient) -> None:
    page = client.get("/results/PARC").text
    charts = re.findall(r'<svg viewBox[^>]*role="img" aria-labelledby="([^"]+)"', page)
    assert len(charts) == 7  # 3 questions, channels, 2 profile questions, days
    for title_id in charts:
        assert f'<title id="{title_id}">' in page
    assert page.count('<table tabindex="0">') == page.count("<caption>") == 9  # method: 2
    assert "<script" not in page


def test_unpublished_results_send_to_sign_in(client: TestClient, pinned: Clock) -> None:
    pinned.now = BEFORE_PUBLICATION
    page = client.get("/results/PARC")
    assert page.status_code == 303
    assert page.headers["location"] == "/staff/sign-in?next=%2Fresults%2FPARC"
    assert client.get("/results/BUDGET").status_code == 303


def test_staff_see_results_before_publication(
    runtime: Runtime, client: TestClient, pinned: Clock
) -> None:
    pinned.now = BEFORE_PUBLICATION
    make_account(runtime, "olga", StaffRole.OBSERVER)
    assert sign_in(client, "olga").status_code == 303
    page = client.get("/results/PARC")
    assert page.status_code == 200
    assert "Ces résultats ne sont pas encore publiés" in page.text
    assert _row(page.text, "Des jeux pour enfants")[-2:] == ["3", "0"]


def test_an_unknown_consultation_is_404(client: TestClient) -> None:
    assert client.get("/results/NOPE").status_code == 404
