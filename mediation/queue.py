"""The review queue: every channel's uncertain items, read from the store, and claims on them.

An item is an answer in review (a faint mark, a mumbled word, an unclear SMS
reply) or a contribution held for a person as a whole (a possible duplicate, an
assisted contribution to check). Items are named by a short key, `a<answer id>`
or `c<contribution id>`, which is also what a claim holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.consultations import repository as consultations
from gateway.consultations.schema import QuestionType
from gateway.contributions import reviewed
from gateway.contributions.decisions import ANSWERS_TO_REVIEW, PAIR_REOPENED, PAIR_SETTLED
from gateway.moderation import DECIDED, Moderated, moderate
from gateway.results import repository as results
from gateway.staff.models import StaffAccount
from gateway.store.models import (
    Answer,
    AnswerStatus,
    AuditEvent,
    Consultation,
    Contribution,
    ContributionEvidence,
    ContributionStatus,
    Evidence,
)
from mediation.models import ReviewClaim, ReviewVote

# Long enough to look, listen and decide; short enough that a reviewer who left
# does not hold an item for the afternoon.
CLAIM_TIME = timedelta(minutes=5)
QUEUE_LIMIT = 200
ITEM_KEY = re.compile(r"^([acm])([1-9][0-9]{0,17})$")
DUPLICATE_OF = re.compile(r"possible duplicate of contribution (\d+)")
# Why an item waits, as the filters name it: the first rule that matches wins.
REASON_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("duplicate", ("duplicate", "already took part")),
    ("overvote", ("overvote",)),
    ("ambiguous_mark", ("unclear mark", "marks,", "nothing marked")),
    ("assisted", ("mandate", "assist")),
    ("personal_data", ("personal data", "insult")),
)
DISAGREEMENT = "disagreement"
STATUS_CHANGED = "contribution.status_changed"
# Every decision a reviewer takes, undos included, as the journal names them: the
# last of these is the one an undo considers (status changes only out of review).
DECISIONS = (*reviewed.DECIDED, reviewed.REOPENED, "contribution.reopened",
             "review.first", "review.agreed", "review.disputed", "review.withdrawn",
             PAIR_SETTLED, PAIR_REOPENED)  # fmt: skip
_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")
REASONS = ("low_confidence", "speech", "handwriting", "unclear_text", "duplicate", "overvote",
           "ambiguous_mark", "assisted", "personal_data", "disagreement", "other")  # fmt: skip


@dataclass(frozen=True)
class Item:
    key: str
    contribution_id: int
    answer_id: int | None
    consultation: str
    channel: str
    reason: str
    detail: str
    question_id: str | None
    value: Any
    raw_input: str | None
    source: str | None
    confidence: float
    vote: bool = False


@dataclass(frozen=True)
class Filters:
    consultation: str = ""
    channel: str = ""
    reason: str = ""


def disputed(session: Session) -> set[str]:
    """The items two reviewers decided differently, in double review."""
    query = select(ReviewVote.item).group_by(ReviewVote.item).having(func.count() > 1)
    return set(session.scalars(query))


def reviewed_by(session: Session, staff_id: int) -> set[str]:
    """The items this reviewer decided first, in double review: for someone else now."""
    return set(session.scalars(select(ReviewVote.item).where(ReviewVote.staff_id == staff_id)))


def parse_key(key: str) -> tuple[str, int] | None:
    found = ITEM_KEY.match(key)
    return (found.group(1), int(found.group(2))) if found else None


def queue(
    session: Session, filters: Filters, now: datetime, limit: int | None = QUEUE_LIMIT
) -> list[Item]:
    """Items to decide, lowest confidence first, filtered as asked; all of them: limit None."""
    items = [*_counting(session, filters), *_texts(session, filters)]
    return items[:limit]


def first(session: Session, filters: Filters, free: Callable[[Item], bool]) -> Item | None:
    """The first item of the queue that `free` lets through.

    Text waiting for moderation comes after every item that counts, so it is read only
    when none of those is free: reading it means checking every counted free text."""
    for item in _counting(session, filters):
        if free(item):
            return item
    return next((item for item in _texts(session, filters) if free(item)), None)


def _counting(session: Session, filters: Filters) -> list[Item]:
    """Answers and contributions in review, lowest confidence first."""
    items = [*_answer_items(session, filters), *_contribution_items(session, filters)]
    split = disputed(session)
    items = [replace(i, reason=DISAGREEMENT) if i.key in split else i for i in items]
    items.sort(key=lambda item: (item.confidence, item.contribution_id, item.key))
    return [item for item in items if not filters.reason or item.reason == filters.reason]


def _texts(session: Session, filters: Filters) -> list[Item]:
    if filters.reason and filters.reason != "personal_data":
        return []
    return sorted(_text_items(session, filters), key=lambda item: item.key)


def item(session: Session, key: str) -> Item | None:
    """The item named by `key`, while it is still in review."""
    parsed = parse_key(key)
    if parsed is None:
        return None
    kind, ident = parsed
    if kind == "a":
        found = _answer_items(session, Filters(), Answer.id == ident)
    elif kind == "m":
        found = _text_items(session, Filters(), Answer.id == ident)
    else:
        found = _contribution_items(session, Filters(), Contribution.id == ident)
    if not found:
        return None
    return replace(found[0], reason=DISAGREEMENT) if key in disputed(session) else found[0]


def _answer_items(session: Session, filters: Filters, *where: Any) -> list[Item]:
    query = _filtered(
        select(Answer, Contribution, Consultation.code, Consultation.kind)
        .join(Contribution, Answer.contribution_id == Contribution.id)
        .where(Answer.status == AnswerStatus.REVIEW, *where),
        filters,
    )
    rows = session.execute(query)
    return [_answer_item(a, c, code, kind == "vote") for a, c, code, kind in rows]


def _contribution_items(session: Session, filters: Filters, *where: Any) -> list[Item]:
    held = and_(
        Contribution.status == ContributionStatus.REVIEW,
        Contribution.status_reason != ANSWERS_TO_REVIEW,
    )
    query = _filtered(select(Contribution, Consultation.code).where(held, *where), filters)
    return [_contribution_item(c, code) for c, code in session.execute(query)]


def _text_items(session: Session, filters: Filters, *where: Any) -> list[Item]:
    """Counted free text that would publish personal data or an insult, not yet moderated."""
    free_text = _free_text_questions(session)
    if free_text is None:
        return []
    query = _filtered(
        select(Answer, Contribution, Consultation.code)
        .join(Contribution, Answer.contribution_id == Contribution.id)
        .where(Answer.status == AnswerStatus.VALID, free_text)
        .where(Contribution.status == ContributionStatus.COUNTED, *where),
        filters,
    )
    done = results.moderation_decisions(session)
    items = []
    for answer, contribution, code in session.execute(query):
        if isinstance(answer.value, str) and answer.id not in done:
            found = _moderated(answer.value)
            if found.needs_review:
                items.append(_text_item(answer, contribution, code, found))
    return items


def _free_text_questions(session: Session) -> ColumnElement[bool] | None:
    """Answers to a free-text question, of any consultation: the only text to moderate."""
    asked = []
    for consultation in consultations.list_all(session):
        definition = consultations.definition_of(consultation)
        ids = [q.id for q in definition.all_questions if q.type == QuestionType.TEXT]
        if ids:
            at = Contribution.consultation_id == consultation.id
            asked.append(and_(at, Answer.question_id.in_(ids)))
    return or_(*asked) if asked else None


@lru_cache(maxsize=65536)
def _moderated(text: str) -> Moderated:
    """Moderate each text once per process: the queue is read again for every item."""
    return moderate(text)


def _text_item(answer: Answer, contribution: Contribution, code: str, found: Moderated) -> Item:
    return Item(
        key=f"m{answer.id}",
        contribution_id=contribution.id,
        answer_id=answer.id,
        consultation=code,
        channel=contribution.channel,
        reason="personal_data",
        detail=", ".join((*found.masked, *found.insults)),
        question_id=answer.question_id,
        value=found.published,
        raw_input=answer.value,
        source=answer.source,
        # Last in the queue: nothing counts on it, it only waits for publication.
        confidence=1.0,
    )


def _filtered(query: _Query, filters: Filters) -> _Query:
    query = query.join(Consultation, Contribution.consultation_id == Consultation.id)
    if filters.consultation:
        query = query.where(Consultation.code == filters.consultation)
    if filters.channel:
        query = query.where(Contribution.channel == filters.channel)
    return query


def _answer_item(answer: Answer, contribution: Contribution, code: str, vote: bool) -> Item:
    detail = answer.status_reason or answer.raw_input or ""
    return Item(
        key=f"a{answer.id}",
        contribution_id=contribution.id,
        answer_id=answer.id,
        consultation=code,
        channel=contribution.channel,
        reason=_reason(f"{answer.status_reason} {answer.raw_input}", answer.source),
        detail=detail,
        question_id=answer.question_id,
        value=answer.value,
        raw_input=answer.raw_input,
        source=answer.source,
        confidence=answer.confidence,
        vote=vote,
    )


def _contribution_item(contribution: Contribution, code: str) -> Item:
    detail = contribution.status_reason or ""
    return Item(
        key=f"c{contribution.id}",
        contribution_id=contribution.id,
        answer_id=None,
        consultation=code,
        channel=contribution.channel,
        reason=_reason(detail, None),
        detail=detail,
        question_id=None,
        value=None,
        raw_input=None,
        source=None,
        confidence=min((a.confidence for a in contribution.answers), default=1.0),
    )


def _reason(text: str, source: str | None) -> str:
    folded = text.lower()
    for reason, words in REASON_RULES:
        if any(word in folded for word in words):
            return reason
    by_source = {"speech": "speech", "ocr": "handwriting", "sms": "unclear_text"}
    return by_source.get(source or "", "low_confidence" if source else "other")


def duplicate_of(item: Item) -> int | None:
    """The earlier contribution a possible duplicate may repeat."""
    found = DUPLICATE_OF.search(item.detail)
    return int(found.group(1)) if found else None


def last_decision(session: Session, actor: str) -> AuditEvent | None:
    """The actor's last decision in review, moderation or undo, as journaled."""
    out_of_review = and_(
        AuditEvent.action == STATUS_CHANGED,
        AuditEvent.payload["from"].as_string() == ContributionStatus.REVIEW.value,
    )
    decided = or_(
        AuditEvent.action.in_(DECISIONS), out_of_review, AuditEvent.action.startswith(DECIDED)
    )
    query = (
        select(AuditEvent)
        .where(AuditEvent.actor == actor, decided)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def decided_since(session: Session, event: AuditEvent) -> bool:
    """Whether someone else journaled a decision on `event`'s subject after it."""
    query = select(AuditEvent.id).where(
        AuditEvent.subject_type == event.subject_type,
        AuditEvent.subject_id == event.subject_id,
        AuditEvent.id > event.id,
        AuditEvent.actor != event.actor,
    )
    return session.scalar(query.limit(1)) is not None


def answer_value(session: Session, answer_id: int) -> Any:
    answer = session.get(Answer, answer_id)
    return None if answer is None else answer.value


def evidence(session: Session, contribution_id: int) -> list[tuple[ContributionEvidence, Evidence]]:
    """The contribution's evidence still held (not purged), in the order it was linked."""
    query = (
        select(ContributionEvidence, Evidence)
        .join(Evidence, ContributionEvidence.evidence_id == Evidence.id)
        .where(ContributionEvidence.contribution_id == contribution_id)
        .where(Evidence.purged_at.is_(None))
        .order_by(ContributionEvidence.id)
    )
    return [(link, blob) for link, blob in session.execute(query).all()]


def claim(session: Session, key: str, staff_id: int, now: datetime) -> bool:
    """Hold `key` for `staff_id`, unless another reviewer holds it and has not let it lapse."""
    expires = now + CLAIM_TIME
    taken = session.execute(
        update(ReviewClaim)
        .where(ReviewClaim.item == key)
        .where(or_(ReviewClaim.staff_id == staff_id, ReviewClaim.expires_at < now))
        .values(staff_id=staff_id, expires_at=expires)
    )
    if taken.rowcount:  # type: ignore[attr-defined]
        return True
    try:
        with session.begin_nested():
            session.add(ReviewClaim(item=key, staff_id=staff_id, expires_at=expires))
    except IntegrityError:
        return False  # held by another, or taken in the same instant
    return True


def holder(session: Session, key: str, now: datetime) -> str | None:
    """The login of whoever holds `key` now, if anyone."""
    query = (
        select(StaffAccount.login)
        .join(ReviewClaim, ReviewClaim.staff_id == StaffAccount.id)
        .where(ReviewClaim.item == key, ReviewClaim.expires_at >= now)
    )
    return session.scalar(query)


def claimed_by_others(session: Session, staff_id: int, now: datetime) -> set[str]:
    query = select(ReviewClaim.item).where(
        ReviewClaim.staff_id != staff_id, ReviewClaim.expires_at >= now
    )
    return set(session.scalars(query))


def release(session: Session, key: str) -> None:
    session.execute(delete(ReviewClaim).where(ReviewClaim.item == key))
