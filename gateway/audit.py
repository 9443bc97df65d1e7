"""Append-only audit journal, each event chained to the previous by its hash.

Every event about a contribution carries the hash of the contribution's
canonical content as the store then held it, so `verify` can check the store
against the journal as well as the chain itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    Engine,
    Row,
    Select,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased

from gateway.store import direct
from gateway.store.base import as_utc, utcnow
from gateway.store.models import Answer, AuditEvent, Consultation, Contribution
from gateway.store.session import core_connection, is_postgresql

GENESIS = "0" * 64
# Any constant: serialises appenders on PostgreSQL so the chain never forks.
_PG_AUDIT_LOCK = 7_461_326
# The key, in a pooled connection's `info`, of the transaction that holds that lock.
_HELD_BY = "portevoix.journal_held_by"
CONTRIBUTION = "contribution"
# Ids named in a report, after which "…" stands for the rest.
_SHOWN_IDS = 10
_BATCH = 1000


@dataclass(frozen=True)
class Along:
    """Rows a writer adds in the statement that appends its event (PostgreSQL): its
    data-modifying CTEs, built once (they name the statement's cached form), and their
    parameters, whose names the journal's own do not take (`_WRITTEN`)."""

    ctes: tuple[CTE, ...]
    parameters: dict[str, Any]


def append(
    session: Session,
    action: str,
    subject_type: str,
    subject_id: str | int,
    payload: dict[str, Any] | None = None,
    actor: str = "system",
    along: Along | None = None,
) -> AuditEvent:
    """Append one event; with `along` (PostgreSQL), its rows written in the same statement."""
    connection = core_connection(session)
    hold_journal(session)
    event = AuditEvent(
        at=utcnow(),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        payload=payload or {},
    )
    # The last hash this process wrote is the likely one: the INSERT checks it, and
    # writes nothing when another process or a rolled-back transaction made it wrong.
    guess = _last_written.get(connection.engine)
    appended: list[dict[str, Any]] = []
    if guess is not None:
        statement, extra = _appending(_APPEND_AFTER, along)
        appended = direct.run(connection, statement, _values(event, guess) | extra)
        # A data-modifying CTE runs to its end even when the append does not.
        along = None
    if not appended:
        last = direct.run(connection, _LAST_HASH, {})
        statement, extra = _appending(_APPEND, along)
        values = _values(event, last[0]["hash"] if last else GENESIS) | extra
        appended = direct.run(connection, statement, values)
    [row] = appended
    event.id = row["id"]
    _last_written[connection.engine] = event.hash
    return event


def _appending(append: Any, along: Along | None) -> tuple[Any, dict[str, Any]]:
    """The append statement with `along`'s CTE, built once per CTE, and its parameters."""
    if along is None:
        return append, {}
    if not along.parameters.keys().isdisjoint(_WRITTEN):
        raise ValueError(f"the journal's parameters are its own: {sorted(_WRITTEN)}")
    key = (append, along.ctes)
    if key not in _WITH_ALONG:
        _WITH_ALONG[key] = append.add_cte(*along.ctes)
    return _WITH_ALONG[key], along.parameters


def _values(event: AuditEvent, previous: str) -> dict[str, Any]:
    """The row to write for `event` after `previous`, its hash set on `event` too."""
    event.prev_hash = previous
    event.hash = event_hash(event)
    # Written without the unit of work, which costs several times the INSERT itself;
    # the event is returned as written, not as an object of the session.
    return {column: getattr(event, column) for column in _WRITTEN}


def hold_journal(session: Session) -> None:
    """Wait for, then hold until the transaction ends, the lock appenders take (PostgreSQL).

    For a writer that must be serialised with the journal's appenders before it appends.
    A transaction that holds it already sends nothing.
    """
    if not is_postgresql(session):
        return
    connection = core_connection(session)
    if connection.info.get(_HELD_BY) is not _innermost(connection):
        connection.execute(_LOCK, {"k": _PG_AUDIT_LOCK})
        journal_held(session)


def journal_lock() -> ColumnElement[bool]:
    """PostgreSQL: an expression (always true) that takes the journal's lock, for the
    statement that writes what the transaction will journal: a round trip fewer than
    `hold_journal`. The caller, once a row of it came back, calls `journal_held`.

    Only for a statement the journal's appends follow: its own snapshot is taken before
    the lock, so it must not read the journal.
    """
    return func.pg_advisory_xact_lock(literal_column(str(_PG_AUDIT_LOCK))).is_not(None)


def journal_held(session: Session) -> None:
    """Note that the transaction holds the journal's lock: `hold_journal` sends nothing.

    Noted for the innermost transaction: a savepoint rolled back may have let the lock go,
    and after it the lock is taken again.
    """
    connection = core_connection(session)
    connection.info[_HELD_BY] = _innermost(connection)


def _innermost(connection: Connection) -> object:
    # Kept in the pooled connection's `info`, which outlives the transaction: a later
    # transaction is another object, so it never matches.
    return connection.get_nested_transaction() or connection.get_transaction()


_WRITTEN = ("at", "actor", "action", "subject_type", "subject_id", "payload", "prev_hash", "hash")
# Built once: constructing a statement costs more than running it.
_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_LAST_HASH = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_APPEND = (
    insert(AuditEvent)
    .values({name: bindparam(name, type_=AuditEvent.__table__.c[name].type) for name in _WRITTEN})
    .returning(AuditEvent.id)
)
# Appends only if the journal still ends where the caller believes: one statement in
# place of reading the last hash, then appending.
_APPEND_AFTER = (
    insert(AuditEvent)
    .from_select(
        list(_WRITTEN),
        select(
            *(bindparam(name, type_=AuditEvent.__table__.c[name].type) for name in _WRITTEN)
        ).where(func.coalesce(_LAST_HASH.scalar_subquery(), GENESIS) == bindparam("prev_hash")),
    )
    .returning(AuditEvent.id)
)
# The hash each engine's journal ended with after this process last appended to it.
_last_written: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()
_APPEND_MANY = insert(AuditEvent)
_WITH_ALONG: dict[tuple[Any, tuple[CTE, ...]], Any] = {}


def event_hash(event: AuditEvent | Row[Any]) -> str:
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
    """Journal a contribution as the store holds it now; call it after every change to one."""
    session.flush()
    rows = session.execute(_ONE_CONTENT, {"contribution_id": contribution.id}).all()
    return _journal(session, contribution.id, rows, action, details, actor)


def journal_recorded(
    session: Session,
    contribution: Contribution,
    consultation: str,
    answers: Sequence[dict[str, Any]],
    action: str,
    details: dict[str, Any] | None = None,
    actor: str = "system",
    along: Along | None = None,
) -> AuditEvent:
    """Journal a contribution just written with `answers` (rows as inserted), unread.

    The rows are hashed as `verify` will read them back: the same columns, under the
    same names, and `content_hash` evens out what a column may return differently.
    """
    session.flush()
    rows = [_written(contribution, consultation, answer) for answer in answers] or [
        _written(contribution, consultation, None)
    ]
    return _journal(session, contribution.id, rows, action, details, actor, along)


def journal_recorded_many(
    session: Session,
    recorded: list[tuple[Contribution, Sequence[dict[str, Any]], dict[str, Any], str]],
    consultation: str,
    action: str,
) -> None:
    """Journal contributions just written, each (contribution, answers, details, actor), at once.

    The same events as `journal_recorded` one by one, chained in order, in one INSERT.
    """
    connection = core_connection(session)
    hold_journal(session)
    previous = connection.execute(_LAST_HASH).scalar() or GENESIS
    events = []
    for contribution, answers, details, actor in recorded:
        rows = [_written(contribution, consultation, a) for a in answers] or [
            _written(contribution, consultation, None)
        ]
        payload = {**details, "status": rows[0].status, "content_hash": content_hash(rows)}
        event = AuditEvent(
            at=utcnow(), actor=actor, action=action, subject_type=CONTRIBUTION,
            subject_id=str(contribution.id), payload=payload, prev_hash=previous,
        )  # fmt: skip
        event.hash = previous = event_hash(event)
        events.append({column: getattr(event, column) for column in _WRITTEN})
    connection.execute(_APPEND_MANY, events)
    _last_written[connection.engine] = previous


def _journal(
    session: Session,
    contribution_id: int,
    rows: Sequence[Any],
    action: str,
    details: dict[str, Any] | None,
    actor: str,
    along: Along | None = None,
) -> AuditEvent:
    payload = {**(details or {}), "status": rows[0].status, "content_hash": content_hash(rows)}
    return append(session, action, CONTRIBUTION, contribution_id, payload, actor, along)


class _ContentRow(NamedTuple):
    """One row of `_content_rows`, built from what was just written."""

    id: int
    consultation: str
    definition_hash: str
    channel: str
    external_id: str
    receipt_code: str
    status: str
    question_id: str | None
    value: Any
    source: str | None
    confidence: float | None
    answer_status: str | None


def _written(
    contribution: Contribution, consultation: str, answer: dict[str, Any] | None
) -> _ContentRow:
    answer = answer or {}
    return _ContentRow(
        id=contribution.id,
        consultation=consultation,
        definition_hash=contribution.definition_hash,
        channel=contribution.channel,
        external_id=contribution.external_id,
        receipt_code=contribution.receipt_code,
        status=str(contribution.status),
        question_id=answer.get("question_id"),
        value=answer.get("value"),
        source=answer.get("source"),
        confidence=answer.get("confidence"),
        answer_status=answer.get("status"),
    )


def _content_rows() -> Select[Any]:
    """What a contribution says, one row per answer, read the same way to write and to verify."""
    return (
        select(
            Contribution.id,
            Consultation.code.label("consultation"),
            Contribution.definition_hash,
            Contribution.channel,
            Contribution.external_id,
            Contribution.receipt_code,
            Contribution.status,
            Answer.question_id,
            Answer.value,
            Answer.source,
            Answer.confidence,
            Answer.status.label("answer_status"),
        )
        .join(Consultation, Consultation.id == Contribution.consultation_id)
        .outerjoin(Answer, Answer.contribution_id == Contribution.id)
        .order_by(Contribution.id, Answer.id)
    )


# Built once: constructing the statement costs more than running it.
_ONE_CONTENT = _content_rows().where(Contribution.id == bindparam("contribution_id"))


def content_hash(rows: Sequence[Any]) -> str:
    """Hash one contribution's rows; the same on SQLite and PostgreSQL, written or reloaded."""
    first = rows[0]
    content = {
        "id": first.id,
        "consultation": first.consultation,
        "definition_hash": first.definition_hash,
        "channel": first.channel,
        "external_id": first.external_id,
        "receipt_code": first.receipt_code,
        "status": first.status,
        "answers": sorted(
            (_answer_content(row) for row in rows if row.question_id is not None),
            key=itemgetter("question"),
        ),
    }
    return _sha256_json(content)


def _answer_content(row: Any) -> dict[str, Any]:
    return {
        "question": row.question_id,
        "value": _plain(row.value),
        "source": row.source,
        # A float column may hand back the last bits differently from what was written.
        "confidence": f"{float(row.confidence):.6f}",
        "status": row.answer_status,
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
    if is_postgresql(session) and not session.in_transaction():
        # Both passes must see one snapshot while the gateway goes on recording.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    chain = _walk_chain(session, anchor)
    differ, unjournaled, unchecked, contributions = Sample(), Sample(), 0, 0
    for contribution_id, rows in _stored_contributions(session):
        contributions += 1
        if contribution_id not in chain.content:
            unjournaled = unjournaled.add(contribution_id)
            continue
        journaled = chain.content.pop(contribution_id)
        if journaled is None:
            unchecked += 1
        elif journaled != content_hash(rows):
            differ = differ.add(contribution_id)
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
    events = select(*AuditEvent.__table__.columns).order_by(AuditEvent.id)
    for event in session.execute(events.execution_options(yield_per=_BATCH)):
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


def _note_content(content: dict[int, str | None], event: Row[Any], sealed: bool) -> bool:
    """Keep the event's content hash for its contribution; say whether hashes have begun."""
    if event.subject_type != CONTRIBUTION or not event.subject_id.isdigit():
        return sealed
    digest = event.payload.get("content_hash") if isinstance(event.payload, dict) else None
    if isinstance(digest, str):
        content[int(event.subject_id)] = digest
        return True
    if not sealed:
        # An event from before this journal carried hashes; after they begin, one
        # without a hash vouches for nothing.
        content.setdefault(int(event.subject_id), None)
    return sealed


def _stored_contributions(session: Session) -> Iterator[tuple[int, list[Row[Any]]]]:
    """Every contribution's rows, streamed in id order."""
    rows = session.execute(_content_rows().execution_options(yield_per=_BATCH))
    for contribution_id, group in groupby(rows, key=attrgetter("id")):
        yield contribution_id, list(group)
