"""One Jinja2 environment for every server-rendered page, translated per request.

Templates are named `package:file.html` and live in that package's `templates/`
folder (`gateway.staff:home.html`, `gateway.web:base.html`), so every page, from any
package, shares one environment, one layout and one catalogue (`gateway/i18n.py`).

The page language is French unless the reader chose another with `?lang=en`; the
choice is kept in a cookie. Accept-Language is not read on purpose: a kiosk or a
library computer set up in English must not turn the pages English for a resident.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import BaseLoader, Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from gateway.config import Settings
from gateway.deps import runtime_of
from gateway.i18n import DEFAULT_LANGUAGE, languages, translations
from gateway.web.static import static_url

LANGUAGE_COOKIE = "pv_lang"
YEAR = 365 * 24 * 3600
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
PAGE_HEADERS = {
    # Pages carry CSRF tokens and staff data: never kept by a shared cache or framed.
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
_page_language: ContextVar[str] = ContextVar("page_language", default=DEFAULT_LANGUAGE)


class PackageLoader(BaseLoader):
    """Find `package:file.html` in the `templates/` folder of that package."""

    def get_source(self, environment: Environment, template: str) -> Any:
        package, _, name = template.partition(":")
        if not name:
            raise TemplateNotFound(template)
        return _folder_loader(package).get_source(environment, name)


@cache
def _folder_loader(package: str) -> FileSystemLoader:
    return FileSystemLoader(Path(str(files(package))) / "templates")


def _gettext(message: str) -> str:
    return translations(_page_language.get()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_page_language.get()).ngettext(singular, plural, n)


@cache
def environment() -> Environment:
    """The one environment: autoescaped, strict about undefined names, translated."""
    env = Environment(
        loader=PackageLoader(),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["static_url"] = static_url
    return env


def page_language(request: Request) -> str:
    """The language asked for in the query, else the one remembered, else French."""
    for asked in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if asked in languages():
            return asked
    return DEFAULT_LANGUAGE


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page in the reader's language, with the headers every page gets."""
    language = page_language(request)
    values = {"lang": language, "language_links": _language_links(request, language)}
    token = _page_language.set(language)
    try:
        html = environment().get_template(template).render({**values, **(context or {})})
    finally:
        _page_language.reset(token)
    response = HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
    if request.query_params.get("lang") == language:
        _remember_language(request, response, language)
    return response


def _remember_language(request: Request, response: HTMLResponse, language: str) -> None:
    secure = secure_cookies(runtime_of(request).settings)
    response.set_cookie(
        LANGUAGE_COOKIE, language, max_age=YEAR, httponly=True, samesite="lax", secure=secure
    )


def _language_links(request: Request, current: str) -> list[dict[str, str]]:
    """Links to this page in each other language, named in that language."""
    urls = {code: request.url.include_query_params(lang=code) for code in languages()}
    return [
        {"code": code, "name": LANGUAGE_NAMES.get(code, code), "href": f"{url.path}?{url.query}"}
        for code, url in urls.items()
        if code != current
    ]


def secure_cookies(settings: Settings) -> bool:
    """Cookies are Secure, except in development or test served over plain http://."""
    plain_http = settings.public_url.startswith("http://")
    return settings.environment == "production" or not plain_http
