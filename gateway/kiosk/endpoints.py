"""Kiosk pages: home, one question per screen, summary, receipt, and the wipe.

Every page is served with `Cache-Control: no-store` and every post answers with a
redirect, so neither the history nor the form cache keeps a resident's answers.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gateway.config import Settings
from gateway.consultations.schema import Definition, Question
from gateway.contributions.intake import IntakeConflict, IntakeRejected
from gateway.deps import SessionDep, door_policy, runtime_of
from gateway.dialogue.engine import (
    AnswerNeeded,
    Ask,
    Changed,
    Closed,
    Command,
    Event,
    Finished,
    NotOpenYet,
)
from gateway.i18n import N_, t
from gateway.kiosk import assist, repository, service
from gateway.kiosk.models import Consent, Kiosk, KioskSession
from gateway.staff.deps import posted_form, require_role
from gateway.staff.models import StaffSession
from gateway.store.models import ContributionStatus
from gateway.web.pages import LANGUAGE_COOKIE, PAGE_HEADERS, page_language, render, secure_cookies


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
COOKIE = "pv_kiosk"
SIZE_COOKIE = "pv_kiosk_size"
NOTICES = {
    "required": N_("This question needs an answer."),
    "ended": N_("The previous session has ended. Everything was erased."),
    "changed": N_("This consultation has changed. Please start again."),
    "closed": N_("This consultation is closed."),
    "not_open": N_("This consultation is not open yet."),
}


def _settings(request: Request) -> Settings:
    return runtime_of(request).settings


def kiosk_of(kiosk_id: str, session: SessionDep) -> Kiosk:
    kiosk = repository.find_kiosk(session, kiosk_id[:32])
    if kiosk is None:
        raise KioskNotFound()
    return kiosk


KioskDep = Annotated[Kiosk, Depends(kiosk_of)]


def resident(request: Request, session: SessionDep, kiosk: KioskDep) -> KioskSession | None:
    row = service.resume(session, kiosk, request.cookies.get(COOKIE), _settings(request))
    # Every page of an assisted session says who helps, so the resident always knows.
    helper = assist.helper(session, row)
    request.state.kiosk_helper = helper.login if helper else None
    return row


ResidentDep = Annotated[KioskSession | None, Depends(resident)]


def _redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status.HTTP_303_SEE_OTHER)
    response.headers.update(PAGE_HEADERS)
    return response


def _page(
    request: Request, kiosk: Kiosk, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    settings = _settings(request)
    values = {
        "kiosk": kiosk,
        "here": request.url.path,
        "large": request.cookies.get(SIZE_COOKIE) == "large",
        "idle": settings.kiosk_idle_seconds,
        "warning": settings.kiosk_warning_seconds,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "helper": getattr(request.state, "kiosk_helper", None),
        **context,
    }
    return render(request, f"gateway.kiosk:{template}", values, status_code)


@pages.get("/{kiosk_id}")
def home(request: Request, session: SessionDep, kiosk: KioskDep, row: ResidentDep) -> Response:
    if row is not None and service.state_of(row).started:
        session.commit()
        return _redirect(f"/kiosk/{kiosk.id}/question")
    open_now = service.KioskConsultations(session).open_now()
    session.commit()
    return _page(request, kiosk, "home.html", consultations=open_now)


@pages.post("/{kiosk_id}/start")
def start(
    request: Request, session: SessionDep, kiosk: KioskDep, row: ResidentDep, form: FormDep
) -> Response:
    code = str(form.get("code") or "")[:16]
    if row is not None and row.mediateur_id is not None and not assist.covers(session, row, code):
        session.commit()
        return _redirect(f"/kiosk/{kiosk.id}/consent?{urlencode({'code': code})}")
    try:
        token, row, events = service.begin(session, kiosk, row, code, page_language(request))
    except service.Refused as refused:
        return _refused(request, session, kiosk, refused)
    session.commit()
    response = _after(kiosk, events)
    if token is not None:
        _set_session_cookie(request, response, kiosk, token)
    return response


def _set_session_cookie(request: Request, response: Response, kiosk: Kiosk, token: str) -> None:
    response.set_cookie(COOKIE, token, path=f"/kiosk/{kiosk.id}", **_flags(request))


def _flags(request: Request) -> dict[str, Any]:
    return {"httponly": True, "samesite": "lax", "secure": secure_cookies(_settings(request))}


def _after(kiosk: Kiosk, events: list[Event]) -> RedirectResponse:
    """Where the resident goes once the engine has moved the state on."""
    base = f"/kiosk/{kiosk.id}"
    for event in events:
        if isinstance(event, Finished):
            return _redirect(f"{base}/summary")
        if isinstance(event, AnswerNeeded):
            return _redirect(f"{base}/question?notice=required")
        if isinstance(event, Changed):
            return _redirect(f"{base}?notice=changed")
        if isinstance(event, Closed):
            return _redirect(f"{base}?notice=closed")
        if isinstance(event, NotOpenYet):
            return _redirect(f"{base}?notice=not_open")
    if any(isinstance(event, Ask) for event in events):
        return _redirect(f"{base}/question")
    return _redirect(base)


def _refused(
    request: Request, session: Session, kiosk: Kiosk, refused: service.Refused
) -> HTMLResponse:
    """Nothing the post asked for is kept; the resident reads why, in their language."""
    session.rollback()
    back = f"/kiosk/{kiosk.id}"
    return _page(request, kiosk, "message.html", 400, message=refused.message, back=back, here=back)


def _ended(session: Session, kiosk: Kiosk) -> RedirectResponse:
    session.commit()  # an idle session found on the way is wiped for good
    return _redirect(f"/kiosk/{kiosk.id}?notice=ended")


@pages.get("/{kiosk_id}/question")
def question(request: Request, session: SessionDep, kiosk: KioskDep, row: ResidentDep) -> Response:
    if row is None:
        return _ended(session, kiosk)
    ask = service.current(session, row)
    session.commit()
    if ask is None:
        finished = service.state_of(row).finished
        return _redirect(f"/kiosk/{kiosk.id}/summary" if finished else f"/kiosk/{kiosk.id}")
    return _question_page(request, kiosk, ask)


def _question_page(
    request: Request, kiosk: Kiosk, ask: Ask, status_code: int = 200, error: str | None = None
) -> HTMLResponse:
    return _page(
        request, kiosk, "question.html", status_code,
        ask=ask, question=ask.question, definition=ask.definition, error=error,
        here=f"/kiosk/{kiosk.id}/question",
    )  # fmt: skip


@pages.post("/{kiosk_id}/answer")
def answer(
    request: Request, session: SessionDep, kiosk: KioskDep, row: ResidentDep, form: FormDep
) -> Response:
    if row is None:
        return _ended(session, kiosk)
    action = form.get("action")
    try:
        if action in (Command.BACK, Command.SKIP):
            events = service.command(session, row, Command(str(action)))
        else:
            values = [v for v in form.getlist("answer") if isinstance(v, str)]
            events = service.answer(session, row, str(form.get("question") or ""), values)
    except service.Refused as refused:
        return _answer_refused(request, session, kiosk, row, refused)
    session.commit()
    return _after(kiosk, events)


def _answer_refused(
    request: Request, session: Session, kiosk: Kiosk, row: KioskSession, refused: service.Refused
) -> HTMLResponse:
    session.rollback()
    ask = service.current(session, row)
    if ask is None:
        return _refused(request, session, kiosk, refused)
    return _question_page(request, kiosk, ask, 400, refused.message)


@pages.get("/{kiosk_id}/summary")
def summary(request: Request, session: SessionDep, kiosk: KioskDep, row: ResidentDep) -> Response:
    if row is None:
        return _ended(session, kiosk)
    state = service.state_of(row)
    session.commit()
    if row.receipt:
        return _redirect(f"/kiosk/{kiosk.id}/receipt")
    definition = service.KioskConsultations(session).definition(state.consultation_code or "")
    if not state.finished or definition is None:
        return _redirect(f"/kiosk/{kiosk.id}/question")
    lines = _summary_lines(definition, state.answers, page_language(request))
    return _page(request, kiosk, "summary.html", definition=definition, lines=lines)


def _summary_lines(
    definition: Definition, answers: dict[str, dict[str, Any]], language: str
) -> list[tuple[str, list[str]]]:
    return [
        (q.text.get(language), _shown(q, answers.get(q.id, {}).get("value"), language))
        for q in definition.all_questions
    ]


def _shown(question: Question, value: Any, language: str) -> list[str]:
    """An answer in words: option labels, or the number or text as given."""
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    labels = []
    for item in values:
        option = question.option(item) if isinstance(item, str) else None
        labels.append(option.label.get(language) if option else str(item))
    return labels


@pages.post("/{kiosk_id}/summary")
def confirm(
    request: Request, session: SessionDep, kiosk: KioskDep, row: ResidentDep, form: FormDep
) -> Response:
    if row is None:
        return _ended(session, kiosk)
    if form.get("action") == Command.BACK:
        events = service.command(session, row, Command.BACK)
        session.commit()
        return _after(kiosk, events)
    if row.receipt:
        return _redirect(f"/kiosk/{kiosk.id}/receipt")  # a double tap: already sent
    try:
        service.send(session, kiosk, row, door_policy(runtime_of(request)), _cap(request))
    except assist.AssistRefused as refused:
        return _refused(request, session, kiosk, service.Refused(refused.message))
    except service.Refused as refused:
        return _refused(request, session, kiosk, refused)
    except (IntakeRejected, IntakeConflict):
        return _refused(request, session, kiosk, service.Refused(NOTICES["closed"]))
    session.commit()
    return _redirect(f"/kiosk/{kiosk.id}/receipt")


@pages.get("/{kiosk_id}/receipt")
def receipt(request: Request, session: SessionDep, kiosk: KioskDep, row: ResidentDep) -> Response:
    session.commit()
    if row is None or not row.receipt:
        return _ended(session, kiosk)
    review = row.receipt_status == ContributionStatus.REVIEW
    return _page(request, kiosk, "receipt.html", receipt_code=row.receipt, review=review)


@pages.api_route("/{kiosk_id}/end", methods=["GET", "POST"])
def end(request: Request, session: SessionDep, kiosk: KioskDep, row: ResidentDep) -> Response:
    """Wipe the session (the resident finished, or the idle timer ran out) and go home."""
    service.end(session, row)
    session.commit()
    response = _redirect(f"/kiosk/{kiosk.id}?notice=ended")
    path = f"/kiosk/{kiosk.id}"
    flags = _flags(request)
    response.delete_cookie(COOKIE, path=path, **flags)
    response.delete_cookie(SIZE_COOKIE, path=path, **flags)
    # The next resident starts in French, whatever the previous one chose.
    response.delete_cookie(LANGUAGE_COOKIE, **flags)
    return response


@pages.post("/{kiosk_id}/text-size")
def text_size(request: Request, kiosk: KioskDep, form: FormDep) -> Response:
    back = str(form.get("back") or "")
    path = f"/kiosk/{kiosk.id}"
    response = _redirect(back if back.startswith(path) and "//" not in back else path)
    if request.cookies.get(SIZE_COOKIE) == "large":
        response.delete_cookie(SIZE_COOKIE, path=path, **_flags(request))
    else:
        response.set_cookie(SIZE_COOKIE, "large", path=path, **_flags(request))
    return response


def _cap(request: Request) -> int:
    return _settings(request).kiosk_assist_cap


@pages.get("/{kiosk_id}/assist")
def assist_page(request: Request, session: SessionDep, kiosk: KioskDep) -> Response:
    session.commit()
    return _page(request, kiosk, "assist.html", error="", here=f"/kiosk/{kiosk.id}/assist")


@pages.post("/{kiosk_id}/assist")
def assist_sign_in(
    request: Request, session: SessionDep, kiosk: KioskDep, row: ResidentDep, form: FormDep
) -> Response:
    """A médiateur's PIN: the previous resident's session is wiped, an assisted one opens."""
    login, pin = str(form.get("login") or ""), str(form.get("pin") or "")
    try:
        check = assist.sign_in(session, kiosk, login, pin)
    except assist.AssistRefused as refused:
        session.commit()  # the refusal stays in the journal
        return _assist_refused(request, kiosk, t(page_language(request), refused.message), 403)
    session.commit()  # failed PINs count towards the lock
    if not check.ok or check.staff_id is None:
        return _assist_refused(request, kiosk, check.message(page_language(request)), 400)
    service.end(session, row)
    token, row = service.opened(session, kiosk, None)
    row.mediateur_id = check.staff_id
    session.commit()
    response = _redirect(f"/kiosk/{kiosk.id}")
    if token is not None:
        _set_session_cookie(request, response, kiosk, token)
    return response


def _assist_refused(request: Request, kiosk: Kiosk, error: str, status_code: int) -> HTMLResponse:
    here = f"/kiosk/{kiosk.id}/assist"
    return _page(request, kiosk, "assist.html", status_code, error=error, here=here)


@pages.get("/{kiosk_id}/consent")
def consent_page(
    request: Request, session: SessionDep, kiosk: KioskDep, row: ResidentDep, code: str = ""
) -> Response:
    definition = service.KioskConsultations(session).definition(code[:16])
    session.commit()
    if row is None or row.mediateur_id is None or definition is None:
        return _redirect(f"/kiosk/{kiosk.id}")
    return _consent_page(request, kiosk, definition)


def _consent_page(
    request: Request, kiosk: Kiosk, definition: Definition, status_code: int = 200, error: str = ""
) -> HTMLResponse:
    return _page(
        request, kiosk, "consent.html", status_code, definition=definition, error=error,
        consents=Consent, here=f"/kiosk/{kiosk.id}/consent?{urlencode({'code': definition.code})}",
    )  # fmt: skip


@pages.post("/{kiosk_id}/consent")
def consent(
    request: Request, session: SessionDep, kiosk: KioskDep, row: ResidentDep, form: FormDep
) -> Response:
    """Record the resident's consent as a mandate, then start the consultation."""
    code = str(form.get("code") or "")[:16]
    definition = service.KioskConsultations(session).definition(code)
    if row is None or row.mediateur_id is None or definition is None:
        return _ended(session, kiosk)
    given, ticked = str(form.get("consent") or ""), form.get("agree") == "yes"
    try:
        assist.open_mandate(session, kiosk, row, code, given, ticked, _cap(request))
        _token, row, events = service.begin(session, kiosk, row, code, page_language(request))
    except assist.AssistRefused as refused:
        session.rollback()
        return _consent_page(request, kiosk, definition, 400, refused.message)
    except service.Refused as refused:
        return _refused(request, session, kiosk, refused)
    session.commit()
    return _after(kiosk, events)


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


# What the adapter mounts: the kiosk's own pages, and the staff's view of them.
router = APIRouter()
router.include_router(pages)
router.include_router(staff_router)
