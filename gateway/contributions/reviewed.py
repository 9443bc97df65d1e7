"""What people decided on answers in review, read from the journal: for the method and exports.

An answer's decision is its last accepted, corrected or rejected event; a decision
its reviewer undid (`answer.reopened`) is not counted, the decision taken after
it is. The journal is the source, not the answer's row: only it says that a
person, and not the machine, settled the answer.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.orm import Session

from gateway.store.models import AuditEvent, Contribution

ACCEPTED, CORRECTED, REJECTED = "answer.accepted", "answer.corrected", "answer.rejected"
REOPENED = "answer.reopened"
DECIDED = (ACCEPTED, CORRECTED, REJECTED)
_ANSWER = AuditEvent.payload["answer"].as_integer()
_OF_CONTRIBUTION = AuditEvent.subject_id == cast(Contribution.id, Text)


def per_channel(session: Session, consultation_id: int | None = None) -> dict[str, Counter[str]]:
    """Per channel, the answers people accepted, corrected and rejected; None: all consultations."""
    last = _last_decisions(consultation_id)
    query = (
        select(Contribution.channel, AuditEvent.action, func.count())
        .select_from(last)
        .join(AuditEvent, AuditEvent.id == last.c.event_id)
        .join(Contribution, _OF_CONTRIBUTION)
        .where(AuditEvent.action.in_(DECIDED))
        .group_by(Contribution.channel, AuditEvent.action)
    )
    counts: dict[str, Counter[str]] = {}
    for channel, action, count in session.execute(query).all():
        counts.setdefault(channel, Counter())[action.removeprefix("answer.")] += count
    return counts


def per_answer(session: Session, consultation_id: int) -> dict[int, str]:
    """Each answer a person decided: accepted, corrected or rejected."""
    last = _last_decisions(consultation_id)
    query = (
        select(last.c.answer_id, AuditEvent.action)
        .join(AuditEvent, AuditEvent.id == last.c.event_id)
        .where(AuditEvent.action.in_(DECIDED))
    )
    return {answer: action.removeprefix("answer.") for answer, action in session.execute(query)}


def _last_decisions(consultation_id: int | None) -> Any:
    """Per answer, the id of its last decision or undo: one row per answer ever decided."""
    query: Select[Any] = (
        select(_ANSWER.label("answer_id"), func.max(AuditEvent.id).label("event_id"))
        .join(Contribution, _OF_CONTRIBUTION)
        .where(AuditEvent.subject_type == "contribution")
        .where(AuditEvent.action.in_((*DECIDED, REOPENED)))
        .group_by(_ANSWER)
    )
    if consultation_id is not None:
        query = query.where(Contribution.consultation_id == consultation_id)
    return query.subquery()
