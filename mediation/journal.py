"""The audit journal, for people: filtered reading and an export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.models import AuditEvent

PAGE_SIZE = 200
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
