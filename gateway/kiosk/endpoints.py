"""Kiosk pages at `/kiosk/{kiosk_id}`: the resident's screens, the médiateur's assisted mode,
and the staff's view of assisted contributions. The screens themselves are
`gateway.kiosk.screens`, shared with the online pages.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gateway.consultations.schema import Definition
from gateway.deps import SessionDep
from gateway.i18n import t
from gateway.kiosk import assist, codes, repository, screens, service
from gateway.kiosk.models import Consent, Kiosk, KioskSession
from gateway.kiosk.service import Place
from gateway.staff.deps import posted_form, require_role
from gateway.staff.models import StaffSession
from gateway.web.pages import page_language, render


class KioskNotFound(Exception):
    """No kiosk under this address: a page, not a JSON error."""


class KioskRoute(APIRoute):
    """A route that answers an unknown kiosk with the kiosk's own 404 page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await handle(request)
            except KioskNotFound:
                return render(request, "gateway.kiosk:not_found.html", {}, 404)

        return handler


pages = APIRouter(prefix="/kiosk", tags=["kiosk"], include_in_schema=False, route_class=KioskRoute)
FormDep = Annotated[FormData, Depends(posted_form)]


def place_of(kiosk_id: str, session: SessionDep) -> Place:
    kiosk = repository.find_kiosk(session, kiosk_id[:32])
    if kiosk is None:
        raise KioskNotFound()
    return Place.at_kiosk(kiosk)


PlaceDep = Annotated[Place, Depends(place_of)]


def resident(request: Request, session: SessionDep, place: PlaceDep) -> KioskSession | None:
    return screens.resident(request, session, place)


ResidentDep = Annotated[KioskSession | None, Depends(resident)]

Screen = Callable[[Request, Session, Place, KioskSession | None], Response]
Posted = Callable[[Request, Session, Place, KioskSession | None, FormData], Response]


def add_screen_routes(
    router: APIRouter,
    path: str,
    place_of: Callable[..., Place],
    resident: Callable[..., KioskSession | None],
) -> None:
    """Route under `path` the screens a kiosk and the online pages share alike."""
    place, row = Depends(place_of), Depends(resident)
    form = Depends(posted_form)

    def shown(screen: Screen) -> Callable[..., Response]:
        def endpoint(
            request: Request,
            session: SessionDep,
            place: Place = place,
            row: KioskSession | None = row,
        ) -> Response:
            return screen(request, session, place, row)

        return endpoint

    def posted(screen: Posted) -> Callable[..., Response]:
        def endpoint(
            request: Request,
            session: SessionDep,
            place: Place = place,
            row: KioskSession | None = row,
            form: FormData = form,
        ) -> Response:
            return screen(request, session, place, row, form)

        return endpoint

    def outbox(
        request: Request, session: SessionDep, place: Place = place, form: FormData = form
    ) -> Response:
        return screens.outbox(request, session, place, form)

    def text_size(request: Request, place: Place = place, form: FormData = form) -> Response:
        return screens.text_size(request, place, form)

    router.add_api_route(f"{path}/question", shown(screens.question), methods=["GET"])
    router.add_api_route(f"{path}/answer", posted(screens.answer), methods=["POST"])
    router.add_api_route(f"{path}/summary", shown(screens.summary), methods=["GET"])
    router.add_api_route(f"{path}/summary", posted(screens.confirm), methods=["POST"])
    router.add_api_route(f"{path}/outbox", outbox, methods=["POST"])
    router.add_api_route(f"{path}/receipt", shown(screens.receipt), methods=["GET"])
    router.add_api_route(f"{path}/text-size", text_size, methods=["POST"])


add_screen_routes(pages, "/{kiosk_id}", place_of, resident)


def _kiosk(place: Place) -> Kiosk:
    assert place.kiosk is not None, "a kiosk route without its kiosk"
    return place.kiosk


@pages.get("/{kiosk_id}")
def home(request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep) -> Response:
    if row is not None and service.state_of(row).started:
        session.commit()
        return screens.redirect(f"{place.base}/question")
    open_now = service.KioskConsultations(session).open_now()
    session.commit()
    return screens.page(request, place, "home.html", consultations=open_now)


@pages.post("/{kiosk_id}/start")
def start(
    request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep, form: FormDep
) -> Response:
    code = str(form.get("code") or "")[:16]
    if row is not None and row.mediateur_id is not None and not assist.covers(session, row, code):
        session.commit()
        return screens.redirect(f"{place.base}/consent?{urlencode({'code': code})}")
    return screens.start(request, session, place, row, code)


@pages.get("/{kiosk_id}/phone")
def phone_page(
    request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep
) -> Response:
    """The optional phone, offered on the summary: proved, the resident is known across channels."""
    session.commit()
    if row is None:
        return screens.redirect(place.base)
    return screens.page(request, place, "kiosk_phone.html", error="")


@pages.post("/{kiosk_id}/phone")
def phone(
    request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep, form: FormDep
) -> Response:
    """Send a one-time code by SMS to the number the resident chose to give."""
    if row is None:
        return screens.ended(session, place)
    settings = screens.settings_of(request)
    typed, language = str(form.get("phone") or ""), page_language(request)
    try:
        codes.send_code(session, row, typed, settings, language, codes.twilio_sender(settings))
    except codes.CodeRefused as refused:
        session.rollback()
        return screens.page(request, place, "kiosk_phone.html", 400, error=refused.message)
    session.commit()
    return screens.redirect(f"{place.base}/verify")


@pages.get("/{kiosk_id}/verify")
def verify_page(
    request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep
) -> Response:
    session.commit()
    if row is None:
        return screens.redirect(place.base)
    return _code_page(request, place)


def _code_page(request: Request, place: Place, status_code: int = 200, error: str = "") -> Response:
    again = f"{place.base}/phone"
    return screens.page(request, place, "online_code.html", status_code, error=error, again=again)


@pages.post("/{kiosk_id}/verify")
def verify(
    request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep, form: FormDep
) -> Response:
    """Check the code typed; the phone proved, the resident is back on the summary."""
    if row is None:
        return screens.ended(session, place)
    try:
        codes.verify(session, row, str(form.get("code") or ""), screens.settings_of(request))
    except codes.CodeRefused as refused:
        session.commit()  # the wrong try counts
        return _code_page(request, place, 400, refused.message)
    session.commit()
    return screens.redirect(f"{place.base}/summary")


@pages.api_route("/{kiosk_id}/end", methods=["GET", "POST"])
def end(request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep) -> Response:
    return screens.end(request, session, place, row)


@pages.get("/{kiosk_id}/assist")
def assist_page(request: Request, session: SessionDep, place: PlaceDep) -> Response:
    session.commit()
    return screens.page(request, place, "assist.html", error="", here=f"{place.base}/assist")


@pages.post("/{kiosk_id}/assist")
def assist_sign_in(
    request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep, form: FormDep
) -> Response:
    """A médiateur's PIN: the previous resident's session is wiped, an assisted one opens."""
    login, pin = str(form.get("login") or ""), str(form.get("pin") or "")
    try:
        check = assist.sign_in(session, _kiosk(place), login, pin)
    except assist.AssistRefused as refused:
        session.commit()  # the refusal stays in the journal
        return _assist_refused(request, place, t(page_language(request), refused.message), 403)
    session.commit()  # failed PINs count towards the lock
    if not check.ok or check.staff_id is None:
        return _assist_refused(request, place, check.message(page_language(request)), 400)
    service.end(session, row)
    token, row = service.opened(session, place, None)
    row.mediateur_id = check.staff_id
    session.commit()
    response = screens.redirect(place.base)
    if token is not None:
        screens.set_session_cookie(request, response, place, token)
    return response


def _assist_refused(request: Request, place: Place, error: str, status_code: int) -> HTMLResponse:
    here = f"{place.base}/assist"
    return screens.page(request, place, "assist.html", status_code, error=error, here=here)


@pages.get("/{kiosk_id}/consent")
def consent_page(
    request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep, code: str = ""
) -> Response:
    definition = service.KioskConsultations(session).definition(code[:16])
    session.commit()
    if row is None or row.mediateur_id is None or definition is None:
        return screens.redirect(place.base)
    return _consent_page(request, place, definition)


def _consent_page(
    request: Request, place: Place, definition: Definition, status_code: int = 200, error: str = ""
) -> HTMLResponse:
    return screens.page(
        request, place, "consent.html", status_code, definition=definition, error=error,
        consents=Consent, here=f"{place.base}/consent?{urlencode({'code': definition.code})}",
    )  # fmt: skip


@pages.post("/{kiosk_id}/consent")
def consent(
    request: Request, session: SessionDep, place: PlaceDep, row: ResidentDep, form: FormDep
) -> Response:
    """Record the resident's consent as a mandate, then start the consultation."""
    code = str(form.get("code") or "")[:16]
    definition = service.KioskConsultations(session).definition(code)
    if row is None or row.mediateur_id is None or definition is None:
        return screens.ended(session, place)
    given, ticked = str(form.get("consent") or ""), form.get("agree") == "yes"
    cap = screens.settings_of(request).kiosk_assist_cap
    try:
        assist.open_mandate(session, _kiosk(place), row, code, given, ticked, cap)
        _token, row, events = service.begin(session, place, row, code, page_language(request))
    except assist.AssistRefused as refused:
        session.rollback()
        return _consent_page(request, place, definition, 400, refused.message)
    except service.Refused as refused:
        return screens.refused_page(request, session, place, refused)
    session.commit()
    return screens.after(place, events)


staff_router = APIRouter(prefix="/staff", tags=["staff"], include_in_schema=False)
AnyStaff = Annotated[StaffSession, Depends(require_role())]


@staff_router.get("/kiosks")
def staff_counts(request: Request, session: SessionDep, staff: AnyStaff) -> HTMLResponse:
    """How many residents each médiateur and each kiosk helped, per consultation."""
    per_mediateur = repository.counts_per_mediateur(session)
    per_kiosk = repository.counts_per_kiosk(session)
    session.commit()
    context = {"staff": staff, "per_mediateur": per_mediateur, "per_kiosk": per_kiosk}
    return render(request, "gateway.kiosk:staff_counts.html", context)
