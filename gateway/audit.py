"""Append-only audit journal, each event chained to the previous by its hash.

Every event about a contribution carries the hash of the contribution's
canonical content as the store then held it, so `verify` can check the store
against the journal as well as the chain itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, aliased, selectinload

from gateway.store.base import as_utc, utcnow
from gateway.store.models import Answer, AuditEvent, Consultation, Contribution
from gateway.store.session import is_postgresql

GENESIS = "0" * 64
# Any constant: serialises appenders on PostgreSQL so the chain never forks.
_PG_AUDIT_LOCK = 7_461_326
CONTRIBUTION = "contribution"
# Ids named in a report, after which "…" stands for the rest.
_SHOWN_IDS = 10
_BATCH = 1000


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
    return _sha256_json(body)


def _sha256_json(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _utc_iso(at: datetime) -> str:
    return as_utc(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def journal_contribution(
    session: Session,
    contribution: Contribution,
    action: str,
    details: dict[str, Any] | None = None,
    actor: str = "system",
) -> AuditEvent:
    """Journal a contribution as stored now; call it after every change to one."""
    session.flush()
    answers = session.scalars(
        select(Answer)
        .where(Answer.contribution_id == contribution.id)
        .execution_options(populate_existing=True)
    )
    consultation = session.get_one(Consultation, contribution.consultation_id)
    digest = content_hash(contribution, consultation.code, answers)
    payload = {**(details or {}), "status": contribution.status, "content_hash": digest}
    return append(session, action, CONTRIBUTION, contribution.id, payload, actor=actor)


def content_hash(
    contribution: Contribution, consultation_code: str, answers: Iterable[Answer]
) -> str:
    """Hash what a contribution says; the same on SQLite and PostgreSQL, written or reloaded."""
    content = {
        "id": contribution.id,
        "consultation": consultation_code,
        "definition_hash": contribution.definition_hash,
        "channel": contribution.channel,
        "external_id": contribution.external_id,
        "receipt_code": contribution.receipt_code,
        "status": contribution.status,
        "answers": sorted((_answer_content(a) for a in answers), key=_sha256_json),
    }
    return _sha256_json(content)


def _answer_content(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question_id,
        "value": _plain(answer.value),
        "source": answer.source,
        # A float column may hand back the last bits differently from what was written.
        "confidence": f"{float(answer.confidence):.6f}",
        "status": answer.status,
    }


def _plain(value: Any) -> Any:
    """A JSON value with whole floats as ints, so 3.0 and 3 hash alike whatever the column."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Anchor:
    """The journal's length and head hash at a moment, kept outside the database."""

    at: datetime
    events: int
    head: str


def head(session: Session) -> Anchor:
    """The anchor of the journal as it stands."""
    # One statement, so the count and the head come from the same snapshot.
    latest = aliased(AuditEvent)
    last_hash = select(latest.hash).order_by(latest.id.desc()).limit(1).scalar_subquery()
    events, last = session.execute(select(func.count(AuditEvent.id), last_hash)).one()
    return Anchor(at=utcnow(), events=events, head=last or GENESIS)


@dataclass(frozen=True)
class Sample:
    """How many contributions have a problem, and the first few ids."""

    count: int = 0
    ids: tuple[int, ...] = ()

    def add(self, contribution_id: int) -> Sample:
        shown = self.ids if len(self.ids) >= _SHOWN_IDS else (*self.ids, contribution_id)
        return Sample(self.count + 1, shown)

    def describe(self, one: str, many: str) -> str | None:
        if not self.count:
            return None
        more = ", …" if self.count > len(self.ids) else ""
        what = one if self.count == 1 else many
        return f"{self.count} {what}: {', '.join(map(str, self.ids))}{more}"


@dataclass(frozen=True)
class Report:
    events: int
    contributions: int = 0
    first_bad_id: int | None = None
    anchor_problem: str | None = None
    differ: Sample = field(default_factory=Sample)
    unjournaled: Sample = field(default_factory=Sample)
    missing: Sample = field(default_factory=Sample)
    # Recorded before events carried content hashes: nothing to check them against.
    unchecked: int = 0

    @property
    def problems(self) -> list[str]:
        chain = (
            f"audit chain broken at event {self.first_bad_id} after {self.events} good events"
            if self.first_bad_id is not None
            else None
        )
        found = [
            chain,
            self.anchor_problem,
            self.differ.describe(
                "contribution differs from the journal", "contributions differ from the journal"
            ),
            self.unjournaled.describe(
                "contribution has no event in the journal",
                "contributions have no event in the journal",
            ),
            self.missing.describe(
                "journaled contribution is missing from the store",
                "journaled contributions are missing from the store",
            ),
        ]
        return [problem for problem in found if problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, anchor: Anchor | None = None) -> Report:
    """Check the chain, the anchor, and every contribution against its latest event."""
    chain = _walk_chain(session, anchor)
    differ, unjournaled, unchecked, contributions = Sample(), Sample(), 0, 0
    for contribution, code in _stored_contributions(session):
        contributions += 1
        if contribution.id not in chain.content:
            unjournaled = unjournaled.add(contribution.id)
            continue
        journaled = chain.content.pop(contribution.id)
        if journaled is None:
            unchecked += 1
        elif journaled != content_hash(contribution, code, contribution.answers):
            differ = differ.add(contribution.id)
    missing = Sample()
    for contribution_id in sorted(chain.content):
        missing = missing.add(contribution_id)
    return Report(
        events=chain.good_events,
        contributions=contributions,
        first_bad_id=chain.first_bad_id,
        anchor_problem=chain.anchor_problem,
        differ=differ,
        unjournaled=unjournaled,
        missing=missing,
        unchecked=unchecked,
    )


@dataclass
class _Chain:
    good_events: int = 0
    first_bad_id: int | None = None
    anchor_problem: str | None = None
    # The latest content hash by contribution; None if journaled before there were hashes.
    content: dict[int, str | None] = field(default_factory=dict)


def _walk_chain(session: Session, anchor: Anchor | None) -> _Chain:
    """Recompute every hash in order, collecting each contribution's latest content hash."""
    chain, previous, position, sealed = _Chain(), GENESIS, 0, False
    events = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=_BATCH)
    for event in session.scalars(events):
        position += 1
        if chain.first_bad_id is None:
            if event.prev_hash != previous or event_hash(event) != event.hash:
                chain.first_bad_id = event.id
            else:
                chain.good_events += 1
        if anchor is not None and position == anchor.events and event.hash != anchor.head:
            chain.anchor_problem = _anchor_mismatch(anchor)
        previous = event.hash
        sealed = _note_content(chain.content, event, sealed)
    if anchor is not None and position < anchor.events:
        chain.anchor_problem = (
            f"the journal has {position} events but the anchor of {_utc_iso(anchor.at)} "
            f"counted {anchor.events}: events were deleted"
        )
    return chain


def _anchor_mismatch(anchor: Anchor) -> str:
    return (
        f"event #{anchor.events} is not the head anchored at {_utc_iso(anchor.at)}: "
        "the journal was rewritten"
    )


def _note_content(content: dict[int, str | None], event: AuditEvent, sealed: bool) -> bool:
    """Keep the event's content hash for its contribution; say whether hashes have begun."""
    if event.subject_type != CONTRIBUTION or not event.subject_id.isdigit():
        return sealed
    digest = event.payload.get("content_hash")
    if isinstance(digest, str):
        content[int(event.subject_id)] = digest
        return True
    if not sealed:
        # An event from before this journal carried hashes; after they begin, one
        # without a hash vouches for nothing.
        content.setdefault(int(event.subject_id), None)
    return sealed


def _stored_contributions(session: Session) -> Iterable[tuple[Contribution, str]]:
    """Every contribution with its answers and consultation code, streamed in id order."""
    rows = (
        select(Contribution, Consultation.code)
        .join(Consultation, Consultation.id == Contribution.consultation_id)
        .order_by(Contribution.id)
        .options(selectinload(Contribution.answers))
        .execution_options(yield_per=_BATCH)
    )
    return session.execute(rows)
