"""Mediation pages: the review queue, one item with its evidence, decisions, evidence files."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from sqlalchemy.orm import Session

from gateway.consultations import repository as consultations
from gateway.contributions import decisions, reviewed
from gateway.contributions.decisions import DecisionRefused
from gateway.deps import SessionDep, runtime_of
from gateway.errors import NotFound
from gateway.i18n import N_
from gateway.mandates import repository as mandates
from gateway.mandates.repository import MandateFilters
from gateway.staff.deps import StaffForm, require_form, require_role
from gateway.staff.models import StaffRole, StaffSession
from gateway.store.base import utcnow
from gateway.store.models import ContributionEvidence, Evidence
from gateway.web.pages import PAGE_HEADERS, render
from mediation import double, journal, oversight, pairs, queue, review
from mediation import undo as undo_last
from mediation.pairs import PairAction
from mediation.queue import Filters, Item

router = APIRouter(prefix="/mediation", tags=["mediation"])
READERS = (StaffRole.AGENT, StaffRole.MEDIATEUR, StaffRole.OBSERVER)
DECIDERS = (StaffRole.AGENT, StaffRole.MEDIATEUR)
AGENTS = (StaffRole.AGENT, StaffRole.ADMIN)
ReadPage = Annotated[StaffSession, Depends(require_role(*READERS))]
DecisionForm = Annotated[StaffForm, Depends(require_form(*DECIDERS))]
AgentForm = Annotated[StaffForm, Depends(require_form(StaffRole.AGENT))]
# Mandates name who helped whom where: for agents to oversee and observers to read.
MandatePage = Annotated[StaffSession, Depends(require_role(StaffRole.AGENT, StaffRole.OBSERVER))]
REASON_NEEDED = N_("Give the reason for revoking this mandate.")
ALREADY_REVOKED = N_("This mandate was already revoked. Nothing was changed.")
# Transcripts and SMS conversations are small; shown in the page rather than linked.
TEXT_TYPES = ("json", "text/")
IMAGE_HEADERS = {**PAGE_HEADERS, "Content-Disposition": "inline"}


def _filters(consultation: str = "", channel: str = "", reason: str = "") -> Filters:
    return Filters(consultation=consultation, channel=channel, reason=reason)


FiltersDep = Annotated[Filters, Depends(_filters)]


@router.get("/review", include_in_schema=False)
def review_list(
    request: Request, session: SessionDep, staff: ReadPage, filters: FiltersDep
) -> HTMLResponse:
    now = utcnow()
    items = queue.queue(session, filters, now)
    held = queue.claimed_by_others(session, staff.account.id, now)
    session.commit()
    context = {"items": items, "held": held, "filters": filters, "reasons": queue.REASONS,
               "query": _query(filters), "can_decide": _can_decide(staff)}  # fmt: skip
    return _page(request, staff, "mediation:review_list.html", context)


@router.get("/review/next", include_in_schema=False)
def review_next(session: SessionDep, staff: ReadPage, filters: FiltersDep) -> Response:
    """Open the first item no one else holds, lowest confidence first."""
    now = utcnow()
    skipped = _not_mine(session, staff, now)
    free = queue.first(session, filters, lambda i: i.key not in skipped and _for(staff, i.key))
    session.commit()
    target = f"/mediation/review/{free.key}" if free else "/mediation/review"
    return RedirectResponse(f"{target}?{_query(filters)}", status.HTTP_303_SEE_OTHER)


@router.post("/review/undo", include_in_schema=False)
def undo(request: Request, session: SessionDep, form: DecisionForm) -> Response:
    """Undo one's own last decision, while what it decided does not count yet."""
    actor = _actor(form.staff)
    try:
        key = undo_last.undo(session, actor, form.staff.account.id)
    except DecisionRefused as refused:
        session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, str(refused)) from None
    queue.claim(session, key, form.staff.account.id, utcnow())
    session.commit()
    return RedirectResponse(f"/mediation/review/{key}", status.HTTP_303_SEE_OTHER)


@router.get("/review/{key}", include_in_schema=False)
def review_item(
    request: Request, key: str, session: SessionDep, staff: ReadPage, filters: FiltersDep
) -> HTMLResponse:
    found = _item(session, key)
    now = utcnow()
    # Opening an item claims it, though a GET: a claim is a lease that lapses, not a
    # decision, and it is what makes `next` send two reviewers to different items.
    free = _can_decide(staff) and _for(staff, key) and key not in _not_mine(session, staff, now)
    mine = free and queue.claim(session, key, staff.account.id, now)
    holder = None if mine else queue.holder(session, key, now)
    shown = (
        found
        if staff.account.role in AGENTS or found.key[0] != "m"
        else replace(found, raw_input=None)
    )
    context = _item_context(request, session, shown, filters) | {"mine": mine, "holder": holder}
    session.commit()
    return _page(request, staff, _item_template(context), context)


@router.post("/review/{key}", include_in_schema=False)
def decide(
    request: Request, key: str, session: SessionDep, form: DecisionForm, filters: FiltersDep
) -> Response:
    found = _item(session, key)
    staff = form.staff
    if not queue.claim(session, key, staff.account.id, utcnow()):
        raise HTTPException(status.HTTP_409_CONFLICT, "another reviewer holds this item")
    try:
        _take(request, session, found, _action(form.text("action")), _value(form), staff)
    except (ValueError, DecisionRefused) as refused:
        session.rollback()
        context = _item_context(request, session, found, filters)
        context |= {"mine": True, "holder": None, "error": str(refused)}
        return _page(request, staff, _item_template(context), context, 409)
    queue.release(session, key)
    session.commit()
    return RedirectResponse(f"/mediation/review/next?{_query(filters)}", status.HTTP_303_SEE_OTHER)


@router.get("/activity", include_in_schema=False)
def activity(request: Request, session: SessionDep, staff: ReadPage) -> HTMLResponse:
    """Assisted contributions per médiateur, consultation and hour, and bursts."""
    rows = oversight.assisted(session)
    session.commit()
    context = {"hours": sorted(oversight.per_hour(rows).items()), "bursts": oversight.bursts(rows),
               "can_send": staff.account.role in (StaffRole.AGENT, StaffRole.ADMIN)}  # fmt: skip
    return _page(request, staff, "mediation:activity.html", context)


@router.post("/activity/review", include_in_schema=False)
def send_bursts(session: SessionDep, form: AgentForm) -> Response:
    oversight.send_bursts_to_review(session, _actor(form.staff))
    session.commit()
    return RedirectResponse("/mediation/review?reason=assisted", status.HTTP_303_SEE_OTHER)


def _mandate_filters(
    consultation: str = "", mediateur: str = "", kiosk: str = "", day: str = ""
) -> MandateFilters:
    try:
        when = date.fromisoformat(day) if day else None
    except ValueError:
        when = None
    return MandateFilters(consultation, mediateur, kiosk, when)


MandateFiltersDep = Annotated[MandateFilters, Depends(_mandate_filters)]


@router.get("/mandates", include_in_schema=False)
def mandate_list(
    request: Request, session: SessionDep, staff: MandatePage, filters: MandateFiltersDep
) -> HTMLResponse:
    """The mandates recorded at kiosks, filtered; an agent may revoke one."""
    return _mandates_page(request, session, staff, filters)


@router.post("/mandates/{mandate_id}/revoke", include_in_schema=False)
def revoke(
    request: Request, mandate_id: int, session: SessionDep, form: AgentForm,
    filters: MandateFiltersDep,
) -> Response:  # fmt: skip
    """Revoke a mandate: its contribution goes back to review."""
    reason = form.text("reason").strip()[:500]
    try:
        decisions.revoke_mandate(session, mandate_id, actor=_actor(form.staff), reason=reason)
    except NotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such mandate") from None
    except DecisionRefused:
        # The two refusals: no reason given, or revoked already (by another agent perhaps).
        session.rollback()
        error = ALREADY_REVOKED if reason else REASON_NEEDED
        return _mandates_page(request, session, form.staff, filters, error)
    session.commit()
    return RedirectResponse(f"/mediation/mandates?{request.url.query}", status.HTTP_303_SEE_OTHER)


def _mandates_page(
    request: Request, session: Session, staff: StaffSession, filters: MandateFilters,
    error: str | None = None,
) -> HTMLResponse:  # fmt: skip
    rows = mandates.mandates(session, filters)
    total, revoked = mandates.counts(session, filters)
    session.commit()
    context = {"rows": rows, "total": total, "revoked": revoked, "filters": filters,
               "error": error, "query": request.url.query,
               "can_revoke": staff.account.role in AGENTS}  # fmt: skip
    return _page(request, staff, "mediation:mandates.html", context, 409 if error else 200)


def _journal_filters(
    actor: str = "", action: str = "", contribution: str = "",
    since: datetime | None = None, until: datetime | None = None,
) -> journal.JournalFilters:  # fmt: skip
    return journal.JournalFilters(actor, action, contribution, since, until)


JournalFiltersDep = Annotated[journal.JournalFilters, Depends(_journal_filters)]


@router.get("/journal", include_in_schema=False)
def journal_page(
    request: Request, session: SessionDep, staff: ReadPage, filters: JournalFiltersDep
) -> HTMLResponse:
    """The journal, newest first, filtered by who, what, when and which contribution."""
    rows = journal.events(session, filters)
    export = f"/mediation/journal.csv?{request.url.query}"
    decided = sorted(reviewed.per_channel(session).items())
    session.commit()
    context = {"events": rows, "filters": filters, "export": export, "decided": decided}
    return _page(request, staff, "mediation:journal.html", context)


@router.get("/journal.csv", include_in_schema=False)
def journal_export(session: SessionDep, staff: ReadPage, filters: JournalFiltersDep) -> Response:
    rows = journal.events(session, filters, limit=None)
    session.commit()
    headers = {**PAGE_HEADERS, "Content-Disposition": 'attachment; filename="journal.csv"'}
    return StreamingResponse(journal.as_csv(rows), media_type="text/csv", headers=headers)


@router.get("/evidence/{contribution_id}/{link_id}", include_in_schema=False)
def evidence_file(
    request: Request, contribution_id: int, link_id: int, session: SessionDep, staff: ReadPage
) -> Response:
    """A scan, crop, overlay or recording, to signed-in staff only, never cached."""
    found = session.get(ContributionEvidence, link_id)
    if found is None or found.contribution_id != contribution_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such evidence")
    blob = session.get_one(Evidence, found.evidence_id)
    session.commit()
    try:
        path = runtime_of(request).evidence.path(blob.sha256)
    except NotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such evidence") from None
    if blob.purged_at is not None or not path.exists():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this evidence was purged")
    return FileResponse(path, media_type=blob.media_type, headers=IMAGE_HEADERS)


def _action(name: str) -> review.Action | PairAction:
    """The action a button names: on one item, or on a pair of possible duplicates."""
    return PairAction(name) if name in tuple(PairAction) else review.Action(name)


def _take(
    request: Request, session: Session, item: Item, action: review.Action | PairAction, value: Any,
    staff: StaffSession,
) -> None:  # fmt: skip
    """Decide at once, or as one of two reviewers when the vote is double-reviewed."""
    actor = _actor(staff)
    if item.key.startswith("m") and staff.account.role not in AGENTS:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "an agent moderates what is published")
    # A pair is never a vote's mark: double review is for marks only.
    if isinstance(action, PairAction) or not (
        item.vote and runtime_of(request).settings.double_review_votes
    ):
        review.decide(session, item, action, value, actor)
    elif item.reason == queue.DISAGREEMENT:
        if staff.account.role not in (StaffRole.AGENT, StaffRole.ADMIN):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "the reviewers disagree: an agent decides"
            )
        review.decide(session, item, action, value, actor)
        double.settle(session, item.key)
    else:
        double.decide(session, item, action, value, staff.account.id, actor)


def _not_mine(session: Session, staff: StaffSession, now: datetime) -> set[str]:
    """Items `next` passes over: held by another, reviewed first by this one, or for agents."""
    skipped = queue.claimed_by_others(session, staff.account.id, now)
    skipped |= queue.reviewed_by(session, staff.account.id)
    if staff.account.role not in AGENTS:
        skipped |= queue.disputed(session)
    return skipped


def _for(staff: StaffSession, key: str) -> bool:
    """Whether this reviewer's role decides such an item: texts to publish are agents'."""
    return not key.startswith("m") or staff.account.role in AGENTS


def _item(session: Session, key: str) -> Item:
    found = queue.item(session, key)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such item in review")
    return found


def _item_context(
    request: Request, session: Session, item: Item, filters: Filters
) -> dict[str, Any]:
    return {
        "item": item,
        **_pair_context(request, session, item),
        "evidence": _evidence(request, session, item),
        "choices": _choices(session, item),
        "query": _query(filters),
        "error": None,
        "shown_value": json.dumps(item.value, ensure_ascii=False),
    }


def _pair_context(request: Request, session: Session, item: Item) -> dict[str, Any]:
    """Both contributions of a possible duplicate, each with its evidence; else nothing."""
    found = pairs.pair(session, item)
    if found is None:
        return {"pair": None}
    sides = (found.first, found.second)
    shown = [(side, _evidence_of(request, session, side.contribution_id)) for side in sides]
    return {"pair": found, "sides": shown}


def _item_template(context: dict[str, Any]) -> str:
    return "mediation:review_pair.html" if context["pair"] else "mediation:review_item.html"


def _evidence(request: Request, session: Session, item: Item) -> list[dict[str, Any]]:
    return _evidence_of(request, session, item.contribution_id, item.question_id)


def _evidence_of(
    request: Request, session: Session, contribution_id: int, *questions: str | None
) -> list[dict[str, Any]]:
    """A contribution's evidence: all of it, or the whole's and the questions' given."""
    shown = []
    for link, blob in queue.evidence(session, contribution_id):
        if questions and link.question_id not in (None, *questions):
            continue
        url = f"/mediation/evidence/{contribution_id}/{link.id}"
        entry = {"role": link.role, "media_type": blob.media_type, "url": url, "text": None}
        if any(kind in blob.media_type for kind in TEXT_TYPES):
            entry |= _text_evidence(request, blob)
        shown.append(entry)
    return shown


def _text_evidence(request: Request, blob: Evidence) -> dict[str, Any]:
    try:
        raw = runtime_of(request).evidence.read(blob.sha256).decode("utf-8", "replace")
    except NotFound:
        return {"text": ""}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {"text": raw}
    words = parsed.get("words") if isinstance(parsed, dict) else None
    if isinstance(words, list):
        return {"text": parsed.get("text", ""), "words": words}
    return {"text": json.dumps(parsed, ensure_ascii=False, indent=2)}


def _choices(session: Session, item: Item) -> dict[str, Any]:
    """The question's options, so a correction is picked rather than typed."""
    if item.question_id is None:
        return {"options": [], "multiple": False}
    definition = consultations.definition_of(consultations.get(session, item.consultation))
    question = definition.question(item.question_id)
    options = [option.key for option in question.options] if question else []
    multiple = question is not None and question.type == "multiple_choice"
    return {"options": options, "multiple": multiple}


def _value(form: StaffForm) -> Any:
    values = [v for v in form.fields.getlist("value") if isinstance(v, str) and v.strip()]
    return values if len(values) > 1 else (values[0] if values else "")


def _actor(staff: StaffSession) -> str:
    return f"staff:{staff.account.login}"


def _can_decide(staff: StaffSession) -> bool:
    return staff.account.role in {*DECIDERS, StaffRole.ADMIN}


def _query(filters: Filters) -> str:
    return urlencode({k: v for k, v in vars(filters).items() if v})


def _page(
    request: Request, staff: StaffSession, template: str, context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    return render(request, template, {"staff": staff, **context}, status_code)
