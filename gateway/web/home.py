"""The public home page: what is open now, every way to take part, and published results.

A resident who types the commune's Porte-voix address, or follows a poster, lands
here. The ways listed are those the consultation takes and the gateway runs; a phone
number is shown only once one is configured, so nobody is sent to a dead line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from gateway import clock
from gateway.config import Settings
from gateway.consultations import repository as consultations
from gateway.consultations.schema import Definition
from gateway.deps import SessionDep, runtime_of
from gateway.identity import spoken_number
from gateway.store.models import Channel
from gateway.web.pages import page_language, render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Listed:
    definition: Definition
    closes_on: str
    ways: list[Channel]
    results: bool


@router.get("/")
def home(request: Request, session: SessionDep) -> HTMLResponse:
    settings = runtime_of(request).settings
    listed = _listed(session, settings, clock.now(), page_language(request))
    session.commit()
    return render(
        request,
        "gateway.web:home.html",
        {
            "open_now": [item for item in listed if item.ways],
            "published": [item for item in listed if item.results],
            "number": spoken_number(settings.twilio_from_number),
        },
    )


def _listed(session: Session, settings: Settings, now: datetime, language: str) -> list[Listed]:
    found = []
    for consultation in consultations.list_all(session):
        definition = consultations.definition_of(consultation)
        ways = _ways(definition, settings) if definition.is_open(now) else []
        closes = definition.closes_at.astimezone(ZoneInfo(definition.results.time_zone))
        day = format_date(closes, format="long", locale=language)
        found.append(Listed(definition, day, ways, definition.results.published(now)))
    return found


def _ways(definition: Definition, settings: Settings) -> list[Channel]:
    """The channels that take this consultation, are enabled, and can be reached."""
    enabled = settings.channels
    needs_number = {Channel.SMS, Channel.IVR}
    return [
        channel
        for channel in Channel
        if channel in definition.channels
        and (enabled is None or channel.value in enabled)
        and (channel not in needs_number or settings.twilio_from_number)
    ]


async def not_found(request: Request, error: Exception) -> Response:
    """A page for a browser that lost its way; the usual JSON error for everyone else."""
    assert isinstance(error, HTTPException)
    browsing = "text/html" in request.headers.get("accept", "")
    if error.status_code == 404 and browsing and request.method == "GET":
        return render(request, "gateway.web:not_found.html", {}, 404)
    return await http_exception_handler(request, error)
