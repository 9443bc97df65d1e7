"""Append-only audit journal, each event chained to the previous by its hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gateway.store.base import as_utc, utcnow
from gateway.store.models import AuditEvent
from gateway.store.session import is_postgresql

GENESIS = "0" * 64
# Any constant: serialises appenders on PostgreSQL so the chain never forks.
_PG_AUDIT_LOCK = 7_461_326


def append(
    session: Session,
    action: str,
    subject_type: str,
    subject_id: str | int,
    payload: dict[str, Any] | None = None,
    actor: str = "system",
) -> AuditEvent:
    if is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    event = AuditEvent(
        at=utcnow(),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        payload=payload or {},
        prev_hash=_last_hash(session),
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


def _last_hash(session: Session) -> str:
    last = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return last or GENESIS


def event_hash(event: AuditEvent) -> str:
    body = {
        "at": _utc_iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "subject": [event.subject_type, event.subject_id],
        "payload": event.payload,
        "prev": event.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _utc_iso(at: datetime) -> str:
    return as_utc(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class ChainReport:
    events: int
    first_bad_id: int | None

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify(session: Session) -> ChainReport:
    """Recompute every hash in order; name the first event that does not match."""
    previous = GENESIS
    count = 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        if event.prev_hash != previous or event_hash(event) != event.hash:
            return ChainReport(events=count, first_bad_id=event.id)
        previous = event.hash
        count += 1
    return ChainReport(events=count, first_bad_id=None)
