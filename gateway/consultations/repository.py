"""Consultations in the store: load definitions, find them by code.

Every message or intake reads its consultation, so a row is read without its
definition JSON, and the definition is parsed once per version and process:
`definition_of` keys its cache by the content hash on the row just read, so a
version loaded by any process is seen by all of them at their next read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    String,
    bindparam,
    literal_column,
    select,
)
from sqlalchemy.orm import Session, defer

from gateway import audit
from gateway.consultations.schema import Definition, could_be_code, normalise_code
from gateway.errors import NotFound
from gateway.store.models import Consultation, Participant, Participation
from gateway.store.session import core_connection


def definition_hash(definition: Definition) -> str:
    canonical = json.dumps(definition.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def save_definition(
    session: Session, definition: Definition, source_path: str | None = None
) -> tuple[Consultation, bool]:
    """Insert or update a consultation; return it and whether anything changed."""
    digest = definition_hash(definition)
    consultation = find(session, definition.code)
    if consultation is not None and consultation.definition_hash == digest:
        return consultation, False
    if consultation is None:
        consultation = Consultation(code=definition.code, version=0)
        session.add(consultation)
    consultation.kind = definition.kind.value
    consultation.definition = definition.model_dump(mode="json")
    consultation.definition_hash = digest
    consultation.version += 1
    consultation.source_path = source_path
    session.flush()
    _seen(session).pop(definition.code, None)
    _reads(session).missing.discard(definition.code)
    audit.append(
        session,
        "consultation.loaded",
        "consultation",
        consultation.id,
        {"code": definition.code, "version": consultation.version, "hash": digest},
    )
    return consultation, True


# The definition JSON is loaded (lazily, by `definition_of`) only for a version not parsed yet.
_LIGHT = select(Consultation).options(defer(Consultation.definition))
_FIND = _LIGHT.where(Consultation.code == bindparam("code"))


def find(session: Session, code: str) -> Consultation | None:
    # Text that cannot be a code (NUL, megabytes) never reaches the database.
    if not could_be_code(code):
        return None
    return session.scalar(_FIND, {"code": normalise_code(code)})


def get(session: Session, code: str) -> Consultation:
    consultation = find(session, code)
    if consultation is None:
        raise NotFound(f"no consultation with code {normalise_code(code)!r}")
    return consultation


@dataclass(frozen=True)
class Version:
    """A consultation as one transaction reads it: its row's id and its parsed definition."""

    id: int
    code: str
    definition_hash: str
    definition: Definition


def version(session: Session, code: str) -> Version:
    """The consultation `code` as this transaction first read it: no second read of the row."""
    # Text that cannot be a code (NUL, megabytes) never reaches the database.
    known = could_be_code(code)
    code = normalise_code(code)
    seen = _seen(session).get(code) or (_read_version(session, code) if known else None)
    if seen is None:
        raise NotFound(f"no consultation with code {code!r}")
    consultation_id, digest = seen
    cached = _PARSED.get(code)
    if cached is None or cached[0] != digest:
        cached = _read_definition(session, code, consultation_id)
    return Version(consultation_id, code, cached[0], cached[1])


def _read_definition(session: Session, code: str, consultation_id: int) -> tuple[str, Definition]:
    # Hash and JSON read together: a version loaded in between is cached under its own hash.
    row = core_connection(session).execute(_DEFINITION, {"code": code}).one()
    _seen(session)[code] = (consultation_id, row.definition_hash)
    return row.definition_hash, _parse(code, row.definition_hash, row.definition)


def _read_version(session: Session, code: str) -> tuple[int, str] | None:
    row = core_connection(session).execute(_VERSION, {"code": code}).first()
    if row is None:
        return None
    _seen(session)[code] = (row.id, row.definition_hash)
    return row.id, row.definition_hash


def definition_for(
    session: Session, code: str, key_hash: str
) -> tuple[Definition | None, bool | None]:
    """`definition_by_code`, and `took_part` for `key_hash` when the row had to be read:
    read along, in the same statement (None when it was not read)."""
    if not could_be_code(code):
        return None, None
    code = normalise_code(code)
    reads = _reads(session)
    if code in reads.missing:
        return None, None
    if code in reads.versions:
        return definition_by_code(session, code), reads.took_part.get((code, key_hash))
    params = {"code": code, "key_hash": key_hash}
    row = core_connection(session).execute(_VERSION_AND_TOOK_PART, params).first()
    if row is None:
        return None, None
    _seen(session)[code] = (row.id, row.definition_hash)
    return definition_by_code(session, code), bool(row.took_part)


@dataclass
class _Reads:
    """What one transaction read of the consultations."""

    # (id, definition hash) by code.
    versions: dict[str, tuple[int, str]] = field(default_factory=dict)
    # Codes read along with another statement that name no consultation.
    missing: set[str] = field(default_factory=set)
    # Whether a participant took part, by (code, key hash), as read along.
    took_part: dict[tuple[str, str], bool] = field(default_factory=dict)


def _reads(session: Session) -> _Reads:
    """This transaction's reads of the consultations.

    A message reads its consultation's version once and the door reuses it; a new
    transaction starts afresh, so a version loaded meanwhile is seen at its next read.
    """
    transaction = session.get_transaction()
    owner, reads = session.info.get(_SEEN, (None, None))
    if reads is None or owner is not transaction:
        reads = _Reads()
        session.info[_SEEN] = (transaction, reads)
    found: _Reads = reads
    return found


def _seen(session: Session) -> dict[str, tuple[int, str]]:
    """The (id, definition hash) of each consultation this transaction read, by code."""
    return _reads(session).versions


def version_columns(table: str, column: str) -> tuple[ColumnElement[Any], ...]:
    """The id and definition hash of the consultation named in `table`.`column`, read along.

    For the RETURNING clause of a statement on `table`: SQLAlchemy does not correlate a
    subquery there, so the other row's column is named as SQL (both databases take it).
    """
    return version_of(literal_column(f"{table}.{column}"))


def version_of(code: ColumnElement[Any], prefix: str = "") -> tuple[ColumnElement[Any], ...]:
    """The id and definition hash of the consultation whose code is `code`, as columns
    (`{prefix}consultation_id`, `{prefix}definition_hash`)."""
    named = Consultation.code == code
    return (
        select(Consultation.id).where(named).scalar_subquery().label(f"{prefix}consultation_id"),
        select(Consultation.definition_hash)
        .where(named)
        .scalar_subquery()
        .label(f"{prefix}definition_hash"),
    )


def named_columns() -> tuple[ColumnElement[Any], ...]:
    """The consultation a message may name, and whether its sender took part in it, as
    columns another statement reads along (for `note_named`).

    Bind parameters: `named_code`, a normalised code or None; `named_key`, the sender's
    key hash.
    """
    version = version_of(bindparam("named_code", type_=String()), prefix="named_")
    consultation_id = version[0].element
    # Without joins: in a RETURNING clause, SQLAlchemy names columns without their table.
    participant_id = (
        select(Participant.id)
        .where(Participant.key_hash == bindparam("named_key", type_=String()))
        .scalar_subquery()
    )
    took_part = select(Participation.id).where(
        Participation.consultation_id == consultation_id,
        Participation.participant_id == participant_id,
    )
    return (*version, took_part.exists().label("named_took_part"))


def note_named(session: Session, row: Mapping[Any, Any], code: str | None, key_hash: str) -> None:
    """Keep what `named_columns` read: this transaction reads it no more."""
    if code is None:
        return
    reads = _reads(session)
    if row["named_consultation_id"] is None:
        reads.missing.add(code)
        return
    reads.versions[code] = (row["named_consultation_id"], row["named_definition_hash"])
    reads.took_part[(code, key_hash)] = bool(row["named_took_part"])


def note_version(session: Session, row: Mapping[Any, Any], code: str | None) -> None:
    """Keep a version read along by `version_columns`: this transaction reads it no more."""
    if code is not None and row["consultation_id"] is not None:
        _seen(session)[code] = (row["consultation_id"], row["definition_hash"])


def definition_by_code(session: Session, code: str) -> Definition | None:
    """The definition of `code` as this transaction reads it, or None: one light read at most."""
    if not could_be_code(code):
        return None
    code = normalise_code(code)
    seen = _seen(session).get(code) or _read_version(session, code)
    if seen is None:
        return None
    cached = _PARSED.get(code)
    if cached is not None and cached[0] == seen[1]:
        return cached[1]
    return _read_definition(session, code, seen[0])[1]


def took_part(session: Session, code: str, key_hash: str) -> bool:
    """Whether a participant already holds a contribution under one-per-person."""
    params = {"code": normalise_code(code), "key_hash": key_hash}
    return core_connection(session).execute(_TOOK_PART, params).first() is not None


def list_all(session: Session) -> list[Consultation]:
    return list(session.scalars(_LIGHT.order_by(Consultation.code)))


# Per code, the version this process parsed last: (definition hash, definition).
_PARSED: dict[str, tuple[str, Definition]] = {}
_SEEN = "portevoix.consultations_seen"


def definition_of(consultation: Consultation) -> Definition:
    """The consultation's definition, parsed once per version; call it in the row's session."""
    cached = _PARSED.get(consultation.code)
    if cached is not None and cached[0] == consultation.definition_hash:
        return cached[1]
    return _parse(consultation.code, consultation.definition_hash, consultation.definition)


def _parse(code: str, digest: str, stored: dict[str, Any]) -> Definition:
    parsed = Definition.model_validate(stored)
    _PARSED[code] = (digest, parsed)
    return parsed


# Built once: constructing a statement costs more than running it.
_CODE: BindParameter[str] = bindparam("code")
_VERSION = select(Consultation.id, Consultation.definition_hash).where(Consultation.code == _CODE)
_DEFINITION = select(Consultation.definition_hash, Consultation.definition).where(
    Consultation.code == _CODE
)
_TOOK_PART = (
    select(Participation.id)
    .join(Participant, Participant.id == Participation.participant_id)
    .join(Consultation, Consultation.id == Participation.consultation_id)
    .where(Consultation.code == _CODE, Participant.key_hash == bindparam("key_hash"))
    .limit(1)
)
_VERSION_AND_TOOK_PART = _VERSION.add_columns(
    select(Participation.id)
    .join(Participant, Participant.id == Participation.participant_id)
    .where(
        Participation.consultation_id == Consultation.id,
        Participant.key_hash == bindparam("key_hash"),
    )
    .exists()
    .label("took_part")
)
