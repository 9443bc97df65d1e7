"""What the results read from the store, each a GROUP BY computed by the database.

No query loads contributions one by one: a consultation with a million contributions
comes back as a few thousand grouped rows (one per channel, question, distinct value
and status; free-text answers are counted, never grouped by their text). Contributions
are scanned once and answers once: every figure of the tally, the inclusion indicators
and the method is summed from those two results.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, case, cast, func, null, select, text
from sqlalchemy.orm import Session

from gateway.moderation import DECIDED, MODERATED_TEXT, Decision
from gateway.store.base import utcnow
from gateway.store.models import (
    Answer,
    AnswerStatus,
    AuditEvent,
    Contribution,
    ContributionStatus,
    ImportedTotal,
)
from gateway.store.session import is_postgresql

COUNTED = ContributionStatus.COUNTED.value
REVIEW = ContributionStatus.REVIEW.value
# PostgreSQL's memory per sort or hash for the result scans (its default is 4 MB).
GROUPING_MEMORY = "64MB"


@dataclass(frozen=True)
class AnswerGroup:
    """How many answers share a channel, a question, a value and a state."""

    channel: str
    question_id: str
    value: Any
    state: str  # counted, review (awaiting a médiateur) or rejected
    count: int


@dataclass
class Scans:
    """The figures of a consultation from two grouped scans: contributions, then answers."""

    statuses: dict[str, int] = field(default_factory=dict)
    counted_by_channel: dict[str, int] = field(default_factory=dict)
    # Counted contributions per UTC hour and channel; the caller folds hours into local days.
    counted_per_hour: list[tuple[datetime, str, int]] = field(default_factory=list)
    # Answers of counted and awaiting contributions, per channel, question, value and state.
    answer_groups: list[AnswerGroup] = field(default_factory=list)
    # Every answer per channel, reading source and answer status: how each channel was read.
    by_source: list[tuple[str, str, str, int]] = field(default_factory=list)


def scan(session: Session, consultation_id: int, free_text: Iterable[str]) -> Scans:
    """Read everything the tally needs in two GROUP BY queries (free text: no value)."""
    scans = Scans()
    with _room_to_group(session):
        contributions = _contribution_groups(session, consultation_id).all()
        answers = _answer_groups(session, consultation_id, list(free_text)).all()
    for channel, status, hour, count in contributions:
        scans.statuses[status] = scans.statuses.get(status, 0) + count
        if status == COUNTED:
            by_channel = scans.counted_by_channel
            by_channel[channel] = by_channel.get(channel, 0) + count
            scans.counted_per_hour.append((_utc(hour), channel, count))
    for row in answers:
        channel, question_id, text, source, answer_status, status, count = row
        scans.by_source.append((channel, source, answer_status, count))
        if status in (COUNTED, REVIEW):
            state = _state(status, answer_status)
            scans.answer_groups.append(AnswerGroup(channel, question_id, _json(text), state, count))
    return scans


def _contribution_groups(session: Session, consultation_id: int) -> Any:
    hour = _utc_hour(session)
    return session.execute(
        select(Contribution.channel, Contribution.status, hour, func.count())
        .where(Contribution.consultation_id == consultation_id)
        .group_by(Contribution.channel, Contribution.status, hour)
    )


def _answer_groups(session: Session, consultation_id: int, free_text: list[str]) -> Any:
    value = case((Answer.question_id.in_(free_text), null()), else_=cast(Answer.value, Text))
    columns = (
        Contribution.channel,
        Answer.question_id,
        value,
        Answer.source,
        Answer.status,
        Contribution.status,
    )
    return session.execute(
        select(*columns, func.count())
        .join(Answer, Answer.contribution_id == Contribution.id)
        .where(Contribution.consultation_id == consultation_id)
        .group_by(*columns)
    )


def _state(status: str, answer_status: str) -> str:
    if status == COUNTED and answer_status == AnswerStatus.VALID.value:
        return "counted"
    if status == REVIEW or answer_status == AnswerStatus.REVIEW.value:
        return "review"
    return "rejected"


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _utc_hour(session: Session) -> ColumnElement[Any]:
    # An hour bucket, not a day: the commune's day is local time, and French offsets
    # are whole hours, so UTC hours fold exactly into local days.
    column = Contribution.submitted_at
    if is_postgresql(session):
        return func.date_trunc("hour", func.timezone("UTC", column))
    return func.strftime("%Y-%m-%dT%H", column)


def _utc(hour: datetime | str) -> datetime:
    """An hour bucket as PostgreSQL (a UTC timestamp) or SQLite (text) returns it."""
    if isinstance(hour, str):
        hour = datetime.strptime(hour, "%Y-%m-%dT%H")
    return hour.replace(tzinfo=UTC)


@contextmanager
def _room_to_group(session: Session) -> Iterator[None]:
    """Give PostgreSQL's hash join and grouping room in memory for these two scans.

    With the default 4 MB they spill to disk at a million contributions; the setting is
    this transaction's, and reset after the scans.
    """
    if not is_postgresql(session):
        yield
        return
    session.execute(text(f"SET LOCAL work_mem = '{GROUPING_MEMORY}'"))
    try:
        yield
    finally:
        session.execute(text("RESET work_mem"))


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


def moderation_decisions(
    session: Session, consultation_id: int | None = None
) -> dict[int, Decision]:
    """Each moderated answer's last decision on what of its free text is published (journal).

    Of one consultation's answers, or of every consultation's when `consultation_id` is None.
    """
    query = (
        select(Answer.id, AuditEvent.payload)
        .join(AuditEvent, AuditEvent.subject_id == cast(Answer.id, Text))
        .join(Contribution, Contribution.id == Answer.contribution_id)
        .where(AuditEvent.subject_type == MODERATED_TEXT, AuditEvent.action.startswith(DECIDED))
        .order_by(AuditEvent.id)
    )
    if consultation_id is not None:
        query = query.where(Contribution.consultation_id == consultation_id)
    return {
        answer_id: Decision(payload.get("published"))
        for answer_id, payload in session.execute(query)
    }


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
