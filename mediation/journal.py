"""The audit journal, for people: filtered reading, an export, and what people decided."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from gateway.store.models import AuditEvent, Contribution

PAGE_SIZE = 200
# An undo reopens an answer; its later decision is counted again, the undone one stays.
DECIDED = ("answer.accepted", "answer.corrected", "answer.rejected")
COLUMNS = ("id", "at", "actor", "action", "subject_type", "subject_id", "payload", "hash")


@dataclass(frozen=True)
class JournalFilters:
    actor: str = ""
    action: str = ""
    contribution: str = ""
    since: datetime | None = None
    until: datetime | None = None


def events(
    session: Session, filters: JournalFilters, limit: int | None = PAGE_SIZE
) -> list[AuditEvent]:
    """The journal's events matching `filters`, newest first."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if filters.actor:
        query = query.where(AuditEvent.actor == filters.actor)
    if filters.action:
        query = query.where(AuditEvent.action.startswith(filters.action))
    if filters.contribution:
        query = query.where(AuditEvent.subject_type == "contribution")
        query = query.where(AuditEvent.subject_id == filters.contribution)
    if filters.since is not None:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.at < filters.until)
    return list(session.scalars(query))


def as_csv(rows: list[AuditEvent]) -> Iterator[str]:
    """The events as CSV lines, oldest first, each with the hash `audit verify` checks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for event in reversed(rows):
        payload = json.dumps(event.payload, ensure_ascii=False, sort_keys=True)
        writer.writerow((event.id, event.at.isoformat(), event.actor, event.action,
                         event.subject_type, event.subject_id, payload, event.hash))  # fmt: skip
    yield buffer.getvalue()


def decided_per_channel(session: Session) -> dict[str, Counter[str]]:
    """Per channel, how many answer decisions people took: accepted, corrected, rejected."""
    query = (
        select(Contribution.channel, AuditEvent.action, func.count())
        .join(Contribution, AuditEvent.subject_id == cast(Contribution.id, String))
        .where(AuditEvent.subject_type == "contribution")
        .where(AuditEvent.action.in_(DECIDED))
        .where(AuditEvent.actor.startswith("staff:"))
        .group_by(Contribution.channel, AuditEvent.action)
    )
    counts: dict[str, Counter[str]] = {}
    for channel, action, count in session.execute(query).all():
        counts.setdefault(channel, Counter())[action.removeprefix("answer.")] += count
    return counts
