"""What the results read from the store, each a GROUP BY computed by the database.

No query loads contributions one by one: a consultation with a million contributions
comes back as a few hundred grouped rows (one per channel, question and distinct value;
free-text answers are counted, never grouped by their text).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, case, cast, func, null, select
from sqlalchemy.orm import Session

from gateway.store.base import utcnow
from gateway.store.models import (
    Answer,
    AnswerStatus,
    AuditEvent,
    Contribution,
    ContributionStatus,
    ImportedTotal,
)

COUNTED = ContributionStatus.COUNTED.value
REVIEW = ContributionStatus.REVIEW.value


@dataclass(frozen=True)
class AnswerGroup:
    """How many answers share a channel, a question, a value and a state."""

    channel: str
    question_id: str
    value: Any
    state: str  # counted, review (awaiting a médiateur) or rejected
    count: int


def status_counts(session: Session, consultation_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Contribution.status, func.count())
        .where(Contribution.consultation_id == consultation_id)
        .group_by(Contribution.status)
    )
    return {status: count for status, count in rows}


def counted_by_channel(session: Session, consultation_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Contribution.channel, func.count())
        .where(Contribution.consultation_id == consultation_id, Contribution.status == COUNTED)
        .group_by(Contribution.channel)
    )
    return {channel: count for channel, count in rows}


def answer_groups(
    session: Session, consultation_id: int, free_text: Iterable[str]
) -> list[AnswerGroup]:
    """Counted and awaiting answers per channel, question and value (free text: no value)."""
    value = case((Answer.question_id.in_(list(free_text)), null()), else_=cast(Answer.value, Text))
    state = _answer_state()
    rows = session.execute(
        select(Contribution.channel, Answer.question_id, value, state, func.count())
        .join(Answer, Answer.contribution_id == Contribution.id)
        .where(
            Contribution.consultation_id == consultation_id,
            Contribution.status.in_([COUNTED, REVIEW]),
        )
        .group_by(Contribution.channel, Answer.question_id, value, state)
    )
    return [
        AnswerGroup(channel, question_id, _json(text), answer_state, count)
        for channel, question_id, text, answer_state, count in rows
    ]


def _answer_state() -> ColumnElement[str]:
    valid = Answer.status == AnswerStatus.VALID.value
    return case(
        ((Contribution.status == COUNTED) & valid, "counted"),
        ((Contribution.status == REVIEW) | (Answer.status == AnswerStatus.REVIEW.value), "review"),
        else_="rejected",
    )


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def counted_per_hour(session: Session, consultation_id: int) -> list[tuple[datetime, str, int]]:
    """Counted contributions per UTC hour and channel; the caller folds hours into local days."""
    hour = _utc_hour(session)
    rows = session.execute(
        select(hour, Contribution.channel, func.count())
        .where(Contribution.consultation_id == consultation_id, Contribution.status == COUNTED)
        .group_by(hour, Contribution.channel)
    )
    return [
        (datetime.strptime(at, "%Y-%m-%dT%H").replace(tzinfo=UTC), channel, count)
        for at, channel, count in rows
    ]


def _utc_hour(session: Session) -> ColumnElement[str]:
    # An hour bucket, not a day: the commune's day is local time, and French offsets
    # are whole hours, so UTC hours fold exactly into local days.
    column = Contribution.submitted_at
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24')
    return func.strftime("%Y-%m-%dT%H", column)


def answers_by_source(session: Session, consultation_id: int) -> list[tuple[str, str, str, int]]:
    """Answers per channel, reading source and answer status: how each channel was read."""
    rows = session.execute(
        select(Contribution.channel, Answer.source, Answer.status, func.count())
        .join(Answer, Answer.contribution_id == Contribution.id)
        .where(Contribution.consultation_id == consultation_id)
        .group_by(Contribution.channel, Answer.source, Answer.status)
    )
    return [(channel, source, status, count) for channel, source, status, count in rows]


def decided_after_review(session: Session, consultation_id: int) -> dict[str, int]:
    """Contributions that left review, per the status a médiateur gave them (journal)."""
    left = AuditEvent.payload["from"].as_string()
    rows = session.execute(
        select(Contribution.status, func.count(func.distinct(Contribution.id)))
        .join(AuditEvent, AuditEvent.subject_id == cast(Contribution.id, Text))
        .where(
            Contribution.consultation_id == consultation_id,
            AuditEvent.subject_type == "contribution",
            AuditEvent.action == "contribution.status_changed",
            left == REVIEW,
        )
        .group_by(Contribution.status)
    )
    return {status: count for status, count in rows}


def imported_totals(session: Session, consultation_id: int) -> list[ImportedTotal]:
    return list(
        session.scalars(
            select(ImportedTotal)
            .where(ImportedTotal.consultation_id == consultation_id)
            .order_by(ImportedTotal.source, ImportedTotal.question_id, ImportedTotal.option_key)
        )
    )


def set_imported_total(session: Session, consultation_id: int, **values: Any) -> int | None:
    """Store a total; returns the count it replaces (None: it is new)."""
    row = session.scalar(
        select(ImportedTotal).where(
            ImportedTotal.consultation_id == consultation_id,
            ImportedTotal.source == values["source"],
            ImportedTotal.question_id == values["question_id"],
            ImportedTotal.option_key == values["option_key"],
        )
    )
    if row is None:
        session.add(ImportedTotal(consultation_id=consultation_id, **values))
        session.flush()
        return None
    before = row.count
    if (row.count, row.origin_id) != (values["count"], values["origin_id"]):
        row.count, row.origin_id, row.imported_at = values["count"], values["origin_id"], utcnow()
        session.flush()
    return before
