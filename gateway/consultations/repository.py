"""Consultations in the store: load definitions, find them by code.

Every message or intake reads its consultation, so a row is read without its
definition JSON, and the definition is parsed once per version and process:
`definition_of` keys its cache by the content hash on the row just read, so a
version loaded by any process is seen by all of them at their next read.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from gateway import audit
from gateway.consultations.schema import Definition, could_be_code, normalise_code
from gateway.errors import NotFound
from gateway.store.models import Consultation, Participant, Participation


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


def find(session: Session, code: str) -> Consultation | None:
    # Text that cannot be a code (NUL, megabytes) never reaches the database.
    if not could_be_code(code):
        return None
    return session.scalar(_LIGHT.where(Consultation.code == normalise_code(code)))


def get(session: Session, code: str) -> Consultation:
    consultation = find(session, code)
    if consultation is None:
        raise NotFound(f"no consultation with code {normalise_code(code)!r}")
    return consultation


def took_part(session: Session, code: str, key_hash: str) -> bool:
    """Whether a participant already holds a contribution under one-per-person."""
    found = session.scalar(
        select(Participation.id)
        .join(Participant, Participant.id == Participation.participant_id)
        .join(Consultation, Consultation.id == Participation.consultation_id)
        .where(Consultation.code == normalise_code(code), Participant.key_hash == key_hash)
    )
    return found is not None


def list_all(session: Session) -> list[Consultation]:
    return list(session.scalars(_LIGHT.order_by(Consultation.code)))


# Per code, the version this process parsed last: (definition hash, definition).
_PARSED: dict[str, tuple[str, Definition]] = {}


def definition_of(consultation: Consultation) -> Definition:
    """The consultation's definition, parsed once per version; call it in the row's session."""
    cached = _PARSED.get(consultation.code)
    if cached is not None and cached[0] == consultation.definition_hash:
        return cached[1]
    parsed = Definition.model_validate(consultation.definition)
    _PARSED[consultation.code] = (consultation.definition_hash, parsed)
    return parsed
