"""Contributions, answers, participations and evidence rows in the store: all their SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session

from gateway import audit
from gateway.contributions.intake import EvidenceRef, ParticipantRef
from gateway.store import direct
from gateway.store.base import as_utc, utcnow
from gateway.store.models import (
    Answer,
    AnswerStatus,
    AuditEvent,
    Consultation,
    Contribution,
    ContributionEvidence,
    Evidence,
    Participant,
    Participation,
)
from gateway.store.session import (
    adopt_row,
    core_connection,
    insert_or_ignore,
    insert_or_ignore_row,
    is_postgresql,
    rows_of_json,
)


def find_by_external_id(session: Session, channel: str, external_id: str) -> Contribution | None:
    return session.scalar(
        select(Contribution).where(
            Contribution.channel == channel, Contribution.external_id == external_id
        )
    )


def find_by_external_ids(
    session: Session, channel: str, external_ids: list[str]
) -> dict[str, Contribution]:
    found = session.scalars(
        select(Contribution).where(
            Contribution.channel == channel, Contribution.external_id.in_(external_ids)
        )
    )
    return {contribution.external_id: contribution for contribution in found}


@dataclass(frozen=True)
class ParticipantRow:
    id: int
    # Whether this transaction inserted the row, seeing the participant for the first time.
    created: bool


def participant_for(session: Session, key_hash: str, kind: str) -> ParticipantRow:
    """The participant's row, created on first sight."""
    new_id = insert_or_ignore(
        session, Participant, key_hash=key_hash, kind=kind, created_at=utcnow()
    )
    if new_id is not None:
        return ParticipantRow(new_id, created=True)
    known = session.scalars(select(Participant.id).where(Participant.key_hash == key_hash)).one()
    return ParticipantRow(known, created=False)


def delete_participant(session: Session, participant_id: int) -> None:
    session.execute(delete(Participant).where(Participant.id == participant_id))


@dataclass(frozen=True)
class Written:
    """What `insert_contribution` wrote, or found."""

    # None, and nothing written, when its (channel, external_id) or receipt code is taken.
    contribution: Contribution | None
    participant: ParticipantRow | None
    # Whether the contribution took its participant's one participation in the consultation.
    claimed: bool
    # The evidence (by sha256) stored and linked with it, for blobs new to the store.
    linked: frozenset[str] = frozenset()


def insert_contribution(
    session: Session,
    values: dict[str, Any],
    answers: list[dict[str, Any]],
    participant: ParticipantRef | ParticipantRow | None = None,
    claim: bool = False,
    evidence: Sequence[EvidenceRef] = (),
    retain_until: datetime | None = None,
) -> Written:
    """Insert a contribution and its answers (rows without `contribution_id`).

    With its participant (a reference is created on first sight, a row is known), and
    with `claim`, the participation that makes it the participant's one contribution
    (`claim_participation`). One statement on PostgreSQL, which also stores and links
    the `evidence` new to the store (kept until `retain_until`) and takes the audit
    journal's lock; the caller links the rest (`link_evidence`).
    """
    if not is_postgresql(session):
        return _insert_in_steps(session, values, answers, participant, claim)
    # The value as its JSON text, stored as it is written (and hashed) here.
    rows = [{**{name: row[name] for name in ANSWER_COLUMNS}, "value": json.dumps(row["value"])}
            for row in answers]  # fmt: skip
    parameters = {**values, "answer_rows": rows, "claim": claim}
    if evidence:
        parameters["evidence_rows"] = [
            {name: getattr(ref, name) for name in EVIDENCE_COLUMNS} for ref in evidence
        ]
        parameters |= {"evidence_retain_until": retain_until, "evidence_created_at": utcnow()}
    person = participant if isinstance(participant, ParticipantRow) else None
    if isinstance(participant, ParticipantRef):
        parameters |= {"person_key_hash": participant.key_hash, "person_kind": participant.kind,
                       "person_created_at": utcnow()}  # fmt: skip
    elif person is not None:
        parameters["participant_id"] = person.id
    new_person = isinstance(participant, ParticipantRef)
    statement = _contribution_with_answers(tuple(sorted(values)), new_person, bool(evidence))
    row = direct.first(session, statement, parameters)
    if row is not None:
        audit.journal_held(session)
    if isinstance(participant, ParticipantRef):
        if row is None:
            # The participant's row was committed by another transaction after this
            # statement began, so it could not see it: found now, and written with it.
            known = participant_for(session, participant.key_hash, participant.kind)
            return insert_contribution(
                session, values, answers, known, claim, evidence, retain_until
            )
        person = ParticipantRow(row["person_id"], created=row["person_created"])
    if row is None or row["id"] is None:
        return Written(None, person, claimed=False)
    linked = frozenset(row["evidence_linked"] or ()) if evidence else frozenset()
    # Only what the statement chose is read back: the rest is what was sent.
    written = {**values, "id": row["id"], "participant_id": row["participant_id"]}
    contribution = adopt_row(session, Contribution, written)
    return Written(contribution, person, claimed=row["claimed"], linked=linked)


def _insert_in_steps(
    session: Session,
    values: dict[str, Any],
    answers: list[dict[str, Any]],
    participant: ParticipantRef | ParticipantRow | None,
    claim: bool,
) -> Written:
    person = (
        participant_for(session, participant.key_hash, participant.kind)
        if isinstance(participant, ParticipantRef)
        else participant
    )
    values = {**values, "participant_id": person.id if person is not None else None}
    contribution = insert_or_ignore_row(session, Contribution, **values)
    if contribution is None:
        return Written(None, person, claimed=False)
    insert_answers(session, [{**row, "contribution_id": contribution.id} for row in answers])
    claimed = (
        claim
        and person is not None
        and claim_participation(session, contribution.consultation_id, person.id, contribution.id)
    )
    return Written(contribution, person, claimed)


# What the door writes of an answer, besides the contribution it belongs to.
ANSWER_COLUMNS = (
    "question_id", "value", "raw_input", "source", "confidence", "status", "status_reason"
)  # fmt: skip
# What the statement stores of a blob's evidence row and link, one array each.
EVIDENCE_COLUMNS = ("sha256", "media_type", "size", "role", "question_id")
_WITH_ANSWERS: dict[tuple[tuple[str, ...], bool, bool], Select[Any]] = {}


def _contribution_with_answers(
    keys: tuple[str, ...], new_person: bool, evidence: bool
) -> Select[Any]:
    """PostgreSQL: INSERT the contribution … ON CONFLICT DO NOTHING, its answers from one
    JSON list and, when `claim` is true, its participation, in one statement;
    none of them when the contribution was not written.

    With `new_person`, its participant too, from a key: inserted if new, or read. The
    statement's snapshot cannot see a participant committed after it began: then the
    participant is not found, and no row comes back.

    With `evidence`, the rows of blobs new to the store and their links, from one JSON
    list; `evidence_linked` lists their sha256.

    A row that comes back holds the audit journal's lock (`audit.journal_lock`).
    """
    if (keys, new_person, evidence) in _WITH_ANSWERS:
        return _WITH_ANSWERS[(keys, new_person, evidence)]
    table, answer = Contribution.__table__, Answer.__table__
    columns = {key: bindparam(key, type_=table.c[key].type) for key in keys}
    person = None
    if new_person:
        person = _person()
        columns["participant_id"] = person.c.id
    inserted_rows = select(*columns.values())
    if person is not None:
        inserted_rows = inserted_rows.select_from(person)
    inserted = (
        postgresql_insert(Contribution)
        .from_select(list(columns), inserted_rows)
        .on_conflict_do_nothing()
        # Not every column: psycopg parses a statement of over 4,096 characters anew on
        # every execution (`test_the_statement_stays_short_enough_to_be_cached`).
        .returning(table.c.id, table.c.consultation_id, table.c.participant_id)
        .cte("inserted")
    )
    types = {name: answer.c[name].type for name in ANSWER_COLUMNS} | {"value": Text()}
    rows = rows_of_json("answer_rows", types)
    written = [cast(c, JSON) if c.key == "value" else c for c in rows.c]
    answers = postgresql_insert(Answer).from_select(
        ["contribution_id", *ANSWER_COLUMNS],
        select(inserted.c.id, *written).select_from(inserted.join(rows, true())),
    )
    claimed = (
        postgresql_insert(Participation)
        .from_select(
            ["consultation_id", "participant_id", "contribution_id"],
            select(inserted.c.consultation_id, inserted.c.participant_id, inserted.c.id).where(
                bindparam("claim", type_=Boolean()), inserted.c.participant_id.is_not(None)
            ),
        )
        .on_conflict_do_nothing()
        .returning(Participation.id)
        .cte("claimed")
    )
    # The journal's lock, taken as a row comes out: the door journals what this wrote.
    outcome = [
        *inserted.c,
        exists(select(claimed.c.id)).label("claimed"),
        audit.journal_lock().label("journal_held"),
    ]
    linked = None
    if evidence:
        stored, linked = _evidence_linked(inserted)
        outcome.append(
            select(func.array_agg(stored.c.sha256)).scalar_subquery().label("evidence_linked")
        )
    if person is None:
        statement = select(*outcome).select_from(inserted)
    else:
        statement = select(
            person.c.id.label("person_id"), person.c.created.label("person_created"), *outcome
        ).select_from(person.outerjoin(inserted, true()))
    statement = statement.add_cte(answers.cte("answers"))
    if linked is not None:
        statement = statement.add_cte(linked)
    _WITH_ANSWERS[(keys, new_person, evidence)] = statement
    return statement


def _evidence_linked(inserted: Any) -> tuple[Any, Any]:
    """CTEs that store the blobs new to the store (`stored`: id, sha256) and link them to
    `inserted`, when it was written. A blob with a row already is left out of both."""
    table = ContributionEvidence.__table__
    types = {
        "sha256": Evidence.__table__.c.sha256.type,
        "media_type": Evidence.__table__.c.media_type.type,
        "size": Evidence.__table__.c.size.type,
        "role": table.c.role.type,
        "question_id": table.c.question_id.type,
    }
    refs = rows_of_json("evidence_rows", types)
    stored = (
        postgresql_insert(Evidence)
        .from_select(
            ["sha256", "media_type", "size", "retain_until", "created_at"],
            select(
                refs.c.sha256,
                refs.c.media_type,
                refs.c.size,
                bindparam("evidence_retain_until", type_=Evidence.__table__.c.retain_until.type),
                bindparam("evidence_created_at", type_=Evidence.__table__.c.created_at.type),
            ).where(exists(select(inserted.c.id))),
        )
        .on_conflict_do_nothing()
        .returning(Evidence.id, Evidence.sha256)
        .cte("stored")
    )
    # The same rows read again: a blob named twice (two roles) gets two links.
    again = rows_of_json("evidence_rows", types)
    linked = (
        postgresql_insert(ContributionEvidence)
        .from_select(
            ["contribution_id", "evidence_id", "role", "question_id"],
            select(inserted.c.id, stored.c.id, again.c.role, again.c.question_id)
            .select_from(inserted)
            .join(stored, true())
            .join(again, again.c.sha256 == stored.c.sha256),
        )
        .returning(ContributionEvidence.evidence_id)
        .cte("linked")
    )
    return stored, linked


def _person() -> Any:
    """The participant of a key, inserted if new (`created`), as a CTE of one row."""
    table = Participant.__table__
    new = (
        postgresql_insert(Participant)
        .values(
            key_hash=bindparam("person_key_hash", type_=table.c.key_hash.type),
            kind=bindparam("person_kind", type_=table.c.kind.type),
            created_at=bindparam("person_created_at", type_=table.c.created_at.type),
        )
        .on_conflict_do_nothing()
        .returning(Participant.id)
        .cte("new_person")
    )
    known = select(Participant.id, false().label("created")).where(
        Participant.key_hash == bindparam("person_key_hash", type_=table.c.key_hash.type)
    )
    return select(new.c.id, true().label("created")).union_all(known).cte("person")


def insert_contributions(session: Session, rows: list[dict[str, Any]]) -> list[Contribution]:
    """Insert contributions in one statement; as rows written, not objects of the session."""
    ids = core_connection(session).execute(_CONTRIBUTIONS, rows).scalars().all()
    return [Contribution(id=new_id, **row) for new_id, row in zip(ids, rows, strict=True)]


def insert_answers(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        core_connection(session).execute(_ANSWERS, rows)


def claim_participation(
    session: Session, consultation_id: int, participant_id: int, contribution_id: int
) -> bool:
    """Make the contribution the participant's one; False if another already holds it."""
    claimed = insert_or_ignore(
        session,
        Participation,
        consultation_id=consultation_id,
        participant_id=participant_id,
        contribution_id=contribution_id,
    )
    return claimed is not None


def lock_participation(
    session: Session, consultation_id: int, participant_id: int
) -> Participation | None:
    """The participant's participation, locked until the transaction ends."""
    # Locks the row on PostgreSQL; SQLite write transactions are serial already.
    return session.scalars(
        select(Participation)
        .where(
            Participation.consultation_id == consultation_id,
            Participation.participant_id == participant_id,
        )
        .with_for_update()
    ).one_or_none()


def contribution(session: Session, contribution_id: int) -> Contribution:
    return session.get_one(Contribution, contribution_id)


def find_contribution(session: Session, contribution_id: int) -> Contribution | None:
    return session.get(Contribution, contribution_id)


def lock_contribution(session: Session, contribution_id: int) -> Contribution | None:
    """A contribution, locked so that two decisions about it are taken one after the other."""
    return session.scalars(
        select(Contribution)
        .where(Contribution.id == contribution_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def lock_answer(session: Session, answer_id: int) -> tuple[Answer, Contribution] | None:
    """An answer and its contribution, the contribution locked as in `lock_contribution`."""
    contribution_id = session.scalar(select(Answer.contribution_id).where(Answer.id == answer_id))
    if contribution_id is None:
        return None
    locked = lock_contribution(session, contribution_id)
    answer = session.get(Answer, answer_id, populate_existing=True)
    return (answer, locked) if answer is not None and locked is not None else None


def answer_id_of(session: Session, contribution_id: int, question_id: str) -> int | None:
    return session.scalar(
        select(Answer.id).where(
            Answer.contribution_id == contribution_id, Answer.question_id == question_id
        )
    )


def consultation_of(session: Session, contribution: Contribution) -> Consultation:
    return session.get_one(Consultation, contribution.consultation_id)


def answers_in_review(session: Session, contribution_id: int) -> int:
    return (
        session.scalar(
            select(func.count(Answer.id)).where(
                Answer.contribution_id == contribution_id, Answer.status == AnswerStatus.REVIEW
            )
        )
        or 0
    )


def valid_answers(session: Session, contribution_id: int) -> int:
    return (
        session.scalar(
            select(func.count(Answer.id)).where(
                Answer.contribution_id == contribution_id, Answer.status == AnswerStatus.VALID
            )
        )
        or 0
    )


def link_evidence(
    session: Session, contribution_id: int, refs: list[EvidenceRef], retain_until: datetime
) -> None:
    """Link a contribution to its evidence, each blob's row kept at least until `retain_until`.

    On PostgreSQL a blob new to the store gets its row and its link in one statement.
    """
    if is_postgresql(session):
        refs = [r for r in refs if not _store_and_link(session, contribution_id, r, retain_until)]
    if not refs:
        return
    links = [
        {
            "contribution_id": contribution_id,
            "evidence_id": _evidence_id(session, ref, retain_until),
            "role": ref.role,
            "question_id": ref.question_id,
        }
        for ref in refs
    ]
    core_connection(session).execute(_LINK, links)


def _store_and_link(
    session: Session, contribution_id: int, ref: EvidenceRef, retain_until: datetime
) -> bool:
    """Insert a new blob's row and its link at once; False, doing nothing, if it had a row."""
    params = {
        **_evidence_row(ref, retain_until),
        "link_contribution_id": contribution_id,
        "link_role": ref.role,
        "link_question_id": ref.question_id,
    }
    return core_connection(session).execute(_STORE_AND_LINK, params).first() is not None


def hold_evidence(session: Session, refs: list[EvidenceRef], retain_until: datetime) -> None:
    """Give each blob an evidence row kept at least until `retain_until`, linked to nothing."""
    for ref in refs:
        _evidence_id(session, ref, retain_until)


# Built once: constructing a statement costs more than running it.
_ANSWERS = insert(Answer)
_CONTRIBUTIONS = insert(Contribution).returning(Contribution.id, sort_by_parameter_order=True)
_LINK = insert(ContributionEvidence)


_STORED = (
    postgresql_insert(Evidence)
    .values({name: bindparam(name) for name in ("sha256", "media_type", "size", "retain_until")})
    .values(created_at=bindparam("created_at"))
    .on_conflict_do_nothing()
    .returning(Evidence.id)
    .cte("stored")
)
_STORE_AND_LINK = (
    insert(ContributionEvidence)
    .from_select(
        ["contribution_id", "evidence_id", "role", "question_id"],
        select(
            bindparam("link_contribution_id", type_=Integer),
            _STORED.c.id,
            bindparam("link_role", type_=String),
            bindparam("link_question_id", type_=String),
        ),
    )
    .returning(ContributionEvidence.id)
)


def _evidence_row(ref: EvidenceRef, retain_until: datetime) -> dict[str, Any]:
    return {
        "sha256": ref.sha256,
        "media_type": ref.media_type,
        "size": ref.size,
        "retain_until": retain_until,
        "created_at": utcnow(),
    }


def _evidence_id(session: Session, ref: EvidenceRef, retain_until: datetime) -> int:
    new_id = insert_or_ignore(session, Evidence, **_evidence_row(ref, retain_until))
    if new_id is not None:
        return new_id
    # The same bytes came again: the blob was written anew, so keep it as long as
    # the newest contribution needs it.
    known = session.scalars(select(Evidence).where(Evidence.sha256 == ref.sha256)).one()
    if known.purged_at is not None or as_utc(known.retain_until) < retain_until:
        known.retain_until = retain_until
        known.purged_at = None
    return known.id


def blob_unused(session: Session, ref: EvidenceRef) -> bool:
    """Whether no evidence row needs the blob, waiting for any transaction that is adding one.

    The door claims the blob with a row of its own, which on PostgreSQL waits for
    another transaction inserting the same blob to end; a claim that gets in proves
    nobody else holds the blob, and is taken back at once.
    """
    claim = insert_or_ignore(
        session,
        Evidence,
        sha256=ref.sha256,
        media_type=ref.media_type,
        size=ref.size,
        retain_until=utcnow(),
        created_at=utcnow(),
    )
    if claim is not None:
        session.execute(delete(Evidence).where(Evidence.id == claim))
        return True
    held = select(Evidence.purged_at).where(Evidence.sha256 == ref.sha256).with_for_update()
    # A row whose blob retention purged needs the file no more than no row at all.
    return session.scalar(held) is not None


def last_pair_decision(session: Session, held_id: int) -> AuditEvent | None:
    """The journal's last decision on the pair a held contribution makes with an earlier one."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.subject_type == "duplicate_pair")
        .where(AuditEvent.subject_id == str(held_id))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def participant_contributions(
    session: Session, consultation_id: int, participant_id: int
) -> list[int]:
    query = select(Contribution.id).where(
        Contribution.consultation_id == consultation_id,
        Contribution.participant_id == participant_id,
    )
    return list(session.scalars(query))


def journaled_since(session: Session, event_id: int, contribution_ids: list[int]) -> bool:
    """Whether the journal holds anything on these contributions after `event_id`."""
    query = select(AuditEvent.id).where(
        AuditEvent.id > event_id,
        AuditEvent.subject_type == "contribution",
        AuditEvent.subject_id.in_([str(cid) for cid in contribution_ids]),
    )
    return session.scalar(query.limit(1)) is not None
