"""The resident's screens, wherever they are served: a kiosk, or online on their own phone.

Every page is served with `Cache-Control: no-store` and every post answers with a
redirect, so neither the history nor the form cache keeps a resident's answers.
The routes (`gateway.kiosk.endpoints` for kiosks, `gateway.kiosk.online` for
`/c/{code}`) resolve the place and the session, then call these.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gateway.config import Settings
from gateway.consultations.schema import Definition, IdentityKey, Policy, Question
from gateway.contributions.intake import IntakeConflict, IntakeRejected
from gateway.deps import door_policy, runtime_of
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
from gateway.i18n import N_
from gateway.kiosk import assist, sealed, service
from gateway.kiosk.models import KioskSession
from gateway.kiosk.service import Place
from gateway.store.models import ContributionStatus
from gateway.web.pages import LANGUAGE_COOKIE, PAGE_HEADERS, page_language, render, secure_cookies

COOKIE = "pv_kiosk"
SIZE_COOKIE = "pv_kiosk_size"
NOTICES = {
    "required": N_("This question needs an answer."),
    "ended": N_("The previous session has ended. Everything was erased."),
    "changed": N_("This consultation has changed. Please start again."),
    "closed": N_("This consultation is closed."),
    "not_open": N_("This consultation is not open yet."),
}


def settings_of(request: Request) -> Settings:
    return runtime_of(request).settings


def resident(request: Request, session: Session, place: Place) -> KioskSession | None:
    """The resident's live session here; the médiateur helping, noted for every page."""
    row = service.resume(session, place, request.cookies.get(COOKIE), settings_of(request))
    helper = assist.helper(session, row)
    request.state.kiosk_helper = helper.login if helper else None
    return row


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status.HTTP_303_SEE_OTHER)
    response.headers.update(PAGE_HEADERS)
    return response


def page(
    request: Request, place: Place, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    settings = settings_of(request)
    values = {
        "kiosk": place.kiosk,
        "base": place.base,
        "here": request.url.path,
        "large": request.cookies.get(SIZE_COOKIE) == "large",
        "idle": settings.kiosk_idle_seconds,
        "warning": settings.kiosk_warning_seconds,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "helper": getattr(request.state, "kiosk_helper", None),
        **context,
    }
    return render(request, f"gateway.kiosk:{template}", values, status_code)


def flags(request: Request) -> dict[str, Any]:
    return {"httponly": True, "samesite": "lax", "secure": secure_cookies(settings_of(request))}


def set_session_cookie(request: Request, response: Response, place: Place, token: str) -> None:
    response.set_cookie(COOKIE, token, path=place.base, **flags(request))


def start(
    request: Request, session: Session, place: Place, row: KioskSession | None, code: str
) -> Response:
    try:
        token, row, events = service.begin(session, place, row, code, page_language(request))
    except service.Refused as refused:
        return refused_page(request, session, place, refused)
    session.commit()
    response = after(place, events)
    if token is not None:
        set_session_cookie(request, response, place, token)
    return response


def after(place: Place, events: list[Event]) -> RedirectResponse:
    """Where the resident goes once the engine has moved the state on."""
    base = place.base
    for event in events:
        if isinstance(event, Finished):
            return redirect(f"{base}/summary")
        if isinstance(event, AnswerNeeded):
            return redirect(f"{base}/question?notice=required")
        if isinstance(event, Changed):
            return redirect(f"{base}?notice=changed")
        if isinstance(event, Closed):
            return redirect(f"{base}?notice=closed")
        if isinstance(event, NotOpenYet):
            return redirect(f"{base}?notice=not_open")
    if any(isinstance(event, Ask) for event in events):
        return redirect(f"{base}/question")
    return redirect(base)


def refused_page(
    request: Request, session: Session, place: Place, refused: service.Refused
) -> HTMLResponse:
    """Nothing the post asked for is kept; the resident reads why, in their language."""
    session.rollback()
    back = place.base
    return page(request, place, "message.html", 400, message=refused.message, back=back, here=back)


def ended(session: Session, place: Place) -> RedirectResponse:
    session.commit()  # an idle session found on the way is wiped for good
    return redirect(f"{place.base}?notice=ended")


def question(
    request: Request, session: Session, place: Place, row: KioskSession | None
) -> Response:
    if row is None:
        return ended(session, place)
    ask = service.current(session, row)
    session.commit()
    if ask is None:
        finished = service.state_of(row).finished
        return redirect(f"{place.base}/summary" if finished else place.base)
    return question_page(request, place, ask)


def question_page(
    request: Request, place: Place, ask: Ask, status_code: int = 200, error: str | None = None
) -> HTMLResponse:
    return page(
        request, place, "question.html", status_code,
        ask=ask, question=ask.question, definition=ask.definition, error=error,
        here=f"{place.base}/question",
    )  # fmt: skip


def answer(
    request: Request, session: Session, place: Place, row: KioskSession | None, form: FormData
) -> Response:
    if row is None:
        return ended(session, place)
    action = form.get("action")
    try:
        if action in (Command.BACK, Command.SKIP):
            events = service.command(session, row, Command(str(action)))
        else:
            values = [v for v in form.getlist("answer") if isinstance(v, str)]
            events = service.answer(session, row, str(form.get("question") or ""), values)
    except service.Refused as refused:
        return _answer_refused(request, session, place, row, refused)
    session.commit()
    return after(place, events)


def _answer_refused(
    request: Request, session: Session, place: Place, row: KioskSession, refused: service.Refused
) -> HTMLResponse:
    session.rollback()
    ask = service.current(session, row)
    if ask is None:
        return refused_page(request, session, place, refused)
    return question_page(request, place, ask, 400, refused.message)


def summary(request: Request, session: Session, place: Place, row: KioskSession | None) -> Response:
    if row is None:
        return ended(session, place)
    state = service.state_of(row)
    session.commit()
    if row.receipt:
        return redirect(f"{place.base}/receipt")
    offered = service.KioskConsultations(session, place.channel)
    definition = offered.definition(state.consultation_code or "")
    if not state.finished or definition is None:
        return redirect(f"{place.base}/question")
    lines = _summary_lines(definition, state.answers, page_language(request))
    sealed_pass = sealed.seal(row, settings_of(request))
    return page(
        request, place, "summary.html", definition=definition, lines=lines, sealed=sealed_pass,
        offer_phone=offers_phone(place, definition), phone_proved=row.phone_hash is not None,
    )  # fmt: skip


def offers_phone(place: Place, definition: Definition) -> bool:
    """Whether a kiosk offers the optional phone: one voice per person, known by phone.

    A resident who proves a phone is the participant the SMS and phone channels
    know, and counts at once; one who does not is checked by a médiateur.
    """
    identity = definition.identity
    one_each = identity.policy == Policy.ONE_PER_PERSON and IdentityKey.PHONE in identity.keys
    return place.kiosk is not None and one_each


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


def confirm(
    request: Request, session: Session, place: Place, row: KioskSession | None, form: FormData
) -> Response:
    if row is None:
        return ended(session, place)
    if form.get("action") == Command.BACK:
        events = service.command(session, row, Command.BACK)
        session.commit()
        return after(place, events)
    if row.receipt:
        return redirect(f"{place.base}/receipt")  # a double tap: already sent
    cap = settings_of(request).kiosk_assist_cap
    try:
        service.send(session, place, row, door_policy(runtime_of(request)), cap)
    except assist.AssistRefused as refused:
        return refused_page(request, session, place, service.Refused(refused.message))
    except service.Refused as refused:
        return refused_page(request, session, place, refused)
    except (IntakeRejected, IntakeConflict):
        return refused_page(request, session, place, service.Refused(NOTICES["closed"]))
    session.commit()
    return redirect(f"{place.base}/receipt")


def outbox(request: Request, session: Session, place: Place, form: FormData) -> Response:
    """A submission the browser kept while offline: recorded once, whatever session is open.

    It never touches the cookie's session (on a kiosk, by now maybe the next resident's),
    and answers with the receipt only: the page that kept it shows it if still open.
    """
    row = sealed.unseal(str(form.get("sealed") or ""), settings_of(request))
    kiosk_id = place.kiosk.id if place.kiosk else None
    if row is None or row.kiosk_id != kiosk_id:
        return Response(status_code=status.HTTP_400_BAD_REQUEST)
    cap = settings_of(request).kiosk_assist_cap
    try:
        result = service.send(session, place, row, door_policy(runtime_of(request)), cap)
    except (service.Refused, assist.AssistRefused, IntakeRejected, IntakeConflict):
        session.rollback()
        return Response(status_code=status.HTTP_409_CONFLICT)
    session.commit()
    return JSONResponse({"receipt": result.receipt_code}, headers=PAGE_HEADERS)


def receipt(request: Request, session: Session, place: Place, row: KioskSession | None) -> Response:
    session.commit()
    if row is None or not row.receipt:
        return ended(session, place)
    review = row.receipt_status == ContributionStatus.REVIEW
    duplicate = row.receipt_status == ContributionStatus.DUPLICATE
    return page(
        request, place, "receipt.html", receipt_code=row.receipt, review=review, duplicate=duplicate
    )


def end(request: Request, session: Session, place: Place, row: KioskSession | None) -> Response:
    """Wipe the session (the resident finished, or the idle timer ran out) and go home."""
    service.end(session, row)
    session.commit()
    response = redirect(f"{place.base}?notice=ended")
    response.delete_cookie(COOKIE, path=place.base, **flags(request))
    response.delete_cookie(SIZE_COOKIE, path=place.base, **flags(request))
    # The next resident starts in French, whatever the previous one chose.
    response.delete_cookie(LANGUAGE_COOKIE, **flags(request))
    return response


def text_size(request: Request, place: Place, form: FormData) -> Response:
    back = str(form.get("back") or "")
    path = place.base
    response = redirect(back if back.startswith(path) and "//" not in back else path)
    if request.cookies.get(SIZE_COOKIE) == "large":
        response.delete_cookie(SIZE_COOKIE, path=path, **flags(request))
    else:
        response.set_cookie(SIZE_COOKIE, "large", path=path, **flags(request))
    return response
