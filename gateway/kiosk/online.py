"""The same screens online, at `/c/{code}`, for a resident on their own phone or computer.

Recorded on the online channel. For a consultation that counts one contribution per
person, the resident first proves a phone with a one-time code sent by SMS
(`gateway.kiosk.codes`); the contribution then carries the keyed phone hash the SMS
channel uses, so the door's identity policy sees one person across both.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from gateway.consultations.schema import Definition, Policy
from gateway.deps import SessionDep
from gateway.kiosk import codes, screens, service
from gateway.kiosk.endpoints import FormDep, KioskNotFound, KioskRoute, add_screen_routes
from gateway.kiosk.models import KioskSession
from gateway.kiosk.service import Place
from gateway.store.models import Channel
from gateway.web.pages import page_language

router = APIRouter(prefix="/c", tags=["online"], include_in_schema=False, route_class=KioskRoute)


def _definition(session: Session, code: str) -> Definition:
    definition = service.KioskConsultations(session, Channel.ONLINE).definition(code)
    if definition is None:
        raise KioskNotFound()
    return definition


def place_of(code: str, session: SessionDep) -> Place:
    return Place.online(_definition(session, code.upper()[:16]).code)


PlaceDep = Annotated[Place, Depends(place_of)]


def resident(request: Request, session: SessionDep, place: PlaceDep) -> KioskSession | None:
    return screens.resident(request, session, place)


ResidentDep = Annotated[KioskSession | None, Depends(resident)]

add_screen_routes(router, "/{code}", place_of, resident)


def _code(place: Place) -> str:
    return place.base.rsplit("/", 1)[-1]


def _needs_phone(definition: Definition, row: KioskSession | None) -> bool:
    one_each = definition.identity.policy == Policy.ONE_PER_PERSON
    return one_each and (row is None or row.phone_hash is None)


@router.get("/{code}")
def home(request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep) -> Response:
    if row is not None and service.state_of(row).started:
        session.commit()
        return screens.redirect(f"{place.base}/question")
    definition = _definition(session, _code(place))
    session.commit()
    needs_phone = _needs_phone(definition, row)
    return _home(request, place, definition, needs_phone)


def _home(
    request: Request,
    place: Place,
    definition: Definition,
    needs_phone: bool,
    status_code: int = 200,
    error: str = "",
) -> HTMLResponse:
    return screens.page(
        request, place, "online_home.html", status_code,
        definition=definition, needs_phone=needs_phone, error=error,
    )  # fmt: skip


@router.post("/{code}/phone")
def phone(
    request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep, form: FormDep
) -> Response:
    """Send a one-time code by SMS to the number typed."""
    settings = screens.settings_of(request)
    token, row = service.opened(session, place, row)
    sender = codes.twilio_sender(settings)
    language = page_language(request)
    try:
        codes.send_code(session, row, str(form.get("phone") or ""), settings, language, sender)
    except codes.CodeRefused as refused:
        session.rollback()
        definition = _definition(session, _code(place))
        return _home(request, place, definition, True, 400, refused.message)
    session.commit()
    response = screens.redirect(f"{place.base}/verify")
    if token is not None:
        screens.set_session_cookie(request, response, place, token)
    return response


@router.get("/{code}/verify")
def verify_page(
    request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep
) -> Response:
    session.commit()
    if row is None:
        return screens.redirect(place.base)
    return screens.page(request, place, "online_code.html", error="")


@router.post("/{code}/verify")
def verify(
    request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep, form: FormDep
) -> Response:
    """Check the code typed; once the phone is proved, the consultation starts."""
    if row is None:
        return screens.ended(session, place)
    try:
        codes.verify(session, row, str(form.get("code") or ""), screens.settings_of(request))
    except codes.CodeRefused as refused:
        session.commit()  # the wrong try counts
        return screens.page(request, place, "online_code.html", 400, error=refused.message)
    return screens.start(request, session, place, row, _code(place))


@router.post("/{code}/start")
def start(request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep) -> Response:
    if _needs_phone(_definition(session, _code(place)), row):
        session.commit()
        return screens.redirect(place.base)
    return screens.start(request, session, place, row, _code(place))


@router.post("/{code}/end")
def end(request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep) -> Response:
    return screens.end(request, session, place, row)
