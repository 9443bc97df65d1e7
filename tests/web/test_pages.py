"""The shared layout: language, skip link, escaping, page headers, cached static files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.runtime import Runtime
from gateway.web.static import static_url
from tests.sms.conftest import make_sms_runtime


@pytest.fixture
def client(sqlite_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=sqlite_runtime)) as test_client:
        yield test_client


def test_the_layout_is_french_with_a_skip_link(client: TestClient) -> None:
    page = client.get("/staff/sign-in")
    assert '<html lang="fr">' in page.text
    assert '<a class="skip-link" href="#main">Aller au contenu</a>' in page.text
    assert '<main id="main" tabindex="-1">' in page.text
    assert 'href="/staff/sign-in?lang=en" lang="en" hreflang="en">English</a>' in page.text
    assert f'href="{static_url("base.css")}"' in page.text


def test_lang_en_switches_the_page_and_is_remembered(client: TestClient) -> None:
    english = client.get("/staff/sign-in?lang=en")
    assert '<html lang="en">' in english.text and "<h1>Staff sign-in</h1>" in english.text
    assert "pv_lang=en" in english.headers["set-cookie"]
    again = client.get("/staff/sign-in")
    assert '<html lang="en">' in again.text and "Skip to the content" in again.text
    assert '<html lang="fr">' in client.get("/staff/sign-in?lang=fr").text


def test_an_unknown_language_falls_back_to_french(client: TestClient) -> None:
    page = client.get("/staff/sign-in?lang=xx")
    assert '<html lang="fr">' in page.text and "pv_lang" not in page.headers.get("set-cookie", "")


def test_pages_are_escaped_and_never_cached_or_framed(client: TestClient) -> None:
    page = client.get("/staff/sign-in?next=/staff/%22%3E%3Cscript%3E")
    assert "<script>" not in page.text and "&#34;&gt;&lt;script&gt;" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"


def test_static_files_come_with_cache_headers(client: TestClient) -> None:
    css = client.get(static_url("base.css"))
    assert css.status_code == 200 and ":focus-visible" in css.text
    assert css.headers["cache-control"] == "public, max-age=86400"
    assert css.headers["etag"] and css.headers["last-modified"]
    unchanged = client.get(static_url("base.css"), headers={"If-None-Match": css.headers["etag"]})
    assert unchanged.status_code == 304 and "max-age" in unchanged.headers["cache-control"]
    assert client.get("/static/../config.py").status_code == 404


def test_static_urls_change_with_the_content() -> None:
    assert static_url("base.css").startswith("/static/base.css?v=")
    assert len(static_url("base.css").split("?v=")[1]) == 12


def test_the_sms_chat_page_uses_the_layout(tmp_path: Path, sqlite_url: str) -> None:
    runtime = make_sms_runtime(tmp_path, sqlite_url, environment="development")
    with TestClient(create_app(runtime=runtime)) as client:
        french = client.get("/sms/simulator").text
        english = client.get("/sms/simulator?lang=en").text
    runtime.close()
    assert '<html lang="fr">' in french and "<h1>Simulateur SMS</h1>" in french
    assert 'href="#main"' in french and '"(vide)"' in french
    assert '<html lang="en">' in english and "<h1>SMS simulator</h1>" in english
