"""What the results read from the store.

The tallies come from the counts the contributions core keeps in step with every
contribution (`gateway.contributions.counts`): a consultation with a million
contributions comes back as a few thousand rows (one per channel, question, distinct
value and status; free-text answers are counted, never grouped by their text), without
scanning its contributions or answers. Every figure of the tally, the inclusion
indicators and the method is summed from those rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from gateway.contributions import counts
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


@dataclass
class Scans:
    """The figures of a consultation, from its contribution counts and its answer counts."""

    statuses: dict[str, int] = field(default_factory=dict)
    counted_by_channel: dict[str, int] = field(default_factory=dict)
    # Counted contributions per UTC hour and channel; the caller folds hours into local days.
    counted_per_hour: list[tuple[datetime, str, int]] = field(default_factory=list)
    # Answers of counted and awaiting contributions, per channel, question, value and state.
    answer_groups: list[AnswerGroup] = field(default_factory=list)
    # Every answer per channel, reading source and answer status: how each channel was read.
    by_source: list[tuple[str, str, str, int]] = field(default_factory=list)


def scan(session: Session, consultation_id: int) -> Scans:
    """Read everything the tally needs from the consultation's counts."""
    scans, found = Scans(), counts.read(session, consultation_id)
    for row in found.contributions:
        status, count = row["status"], row["count"]
        scans.statuses[status] = scans.statuses.get(status, 0) + count
        if status == COUNTED:
            by_channel = scans.counted_by_channel
            by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + count
            scans.counted_per_hour.append((_utc(row["hour"]), row["channel"], count))
    for row in found.answers:
        channel, answer_status, status = (
            row["channel"],
            row["answer_status"],
            row["contribution_status"],
        )
        scans.by_source.append((channel, row["source"], answer_status, row["count"]))
        if status in (COUNTED, REVIEW):
            value, state = _json(row["value"]), _state(status, answer_status)
            group = AnswerGroup(channel, row["question_id"], value, state, row["count"])
            scans.answer_groups.append(group)
    return scans


def _state(status: str, answer_status: str) -> str:
    if status == COUNTED and answer_status == AnswerStatus.VALID.value:
        return "counted"
    if status == REVIEW or answer_status == AnswerStatus.REVIEW.value:
        return "review"
    return "rejected"


def _json(text: str) -> Any:
    return None if text == counts.UNGROUPED else json.loads(text)


def _utc(hour: str) -> datetime:
    return datetime.strptime(hour, counts.HOUR).replace(tzinfo=UTC)


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
