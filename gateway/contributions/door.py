"""Intake: what every channel hands over, and the one door into the store.

`record_intake` is the only code that writes contributions. It validates the
answers against the consultation definition, applies the identity policy, is
idempotent on (channel, external_id), routes uncertain answers to review and
writes contribution, answers, evidence references and an audit event in the
caller's transaction. A channel that can be sent a different body under an id it
already used (the online API) passes a fingerprint, so that the door refuses the
new body instead of replaying the old receipt.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gateway import audit
from gateway.consultations import repository as consultations
from gateway.consultations.schema import Definition, OnDuplicate, Policy
from gateway.errors import PortevoixError
from gateway.store.base import as_utc, utcnow
from gateway.store.models import (
    Answer,
    AnswerSource,
    AnswerStatus,
    Channel,
    Consultation,
    Contribution,
    ContributionEvidence,
    ContributionStatus,
    Evidence,
    Participant,
    Participation,
)
from gateway.store.session import insert_or_ignore, insert_or_ignore_row
from gateway.validation import AnswerCheck, check_answer

# Read aloud or typed by a resident: no 0/O, 1/I/L, 5/S, 2/Z, 8/B.
RECEIPT_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
RECEIPT_LENGTH = 8


@dataclass(frozen=True)
class AnswerIn:
    question_id: str
    value: Any
    raw: str | None = None
    source: AnswerSource = AnswerSource.TYPED
    confidence: float = 1.0


@dataclass(frozen=True)
class ParticipantRef:
    """A participant as a channel knows them: the kind of key and its keyed hash."""

    kind: str
    key_hash: str


@dataclass(frozen=True)
class EvidenceRef:
    sha256: str
    media_type: str
    size: int
    role: str
    question_id: str | None = None


@dataclass(frozen=True)
class Intake:
    consultation_code: str
    channel: Channel
    external_id: str
    answers: list[AnswerIn]
    participant: ParticipantRef | None = None
    evidence: list[EvidenceRef] = field(default_factory=list)
    assisted_by: str | None = None
    language: str = "fr"
    received_at: datetime | None = None
    # What the intake says, hashed; see `fingerprint`. None: the id alone decides.
    fingerprint: str | None = None


@dataclass(frozen=True)
class IntakeResult:
    contribution_id: int
    receipt_code: str
    status: ContributionStatus
    replayed: bool = False
    reason: str | None = None

    @property
    def counted(self) -> bool:
        return self.status == ContributionStatus.COUNTED


class IntakeRejected(PortevoixError):
    """Nothing was stored; `problems` says why, one line per answer."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class IntakeConflict(PortevoixError):
    """Nothing was stored: the (channel, external_id) already holds another intake."""


@dataclass(frozen=True)
class DoorPolicy:
    """Operator settings the door needs; the definition may tighten them."""

    review_confidence_threshold: float = 0.8
    evidence_retention: timedelta = timedelta(days=180)


def record_intake(session: Session, intake: Intake, policy: DoorPolicy) -> IntakeResult:
    """Record an intake once; the same (channel, external_id) returns the same result."""
    existing = _find_existing(session, intake)
    if existing is not None:
        return _replay(session, existing, intake)
    consultation = consultations.get(session, intake.consultation_code)
    definition = consultations.definition_of(consultation)
    _require_open(definition, intake.received_at or utcnow())
    checks = _check_answers(definition, intake, policy)
    participant_id = _participant_id(session, intake.participant)
    contribution = _insert_contribution(session, consultation, intake, participant_id, checks)
    if contribution is None:
        replay = _find_existing(session, intake)
        assert replay is not None, "unique (channel, external_id) conflict without a row"
        return _replay(session, replay, intake)
    if participant_id is not None and definition.identity.policy == Policy.ONE_PER_PERSON:
        _apply_identity_policy(session, definition, contribution, intake, participant_id)
    _link_evidence(session, contribution, intake.evidence, policy)
    _audit(session, consultation, contribution, intake)
    return _result(contribution, replayed=False)


def _find_existing(session: Session, intake: Intake) -> Contribution | None:
    return session.scalar(
        select(Contribution).where(
            Contribution.channel == intake.channel.value,
            Contribution.external_id == intake.external_id,
        )
    )


def fingerprint(intake: Intake) -> str:
    """Hash what an intake says (consultation, participant, language, answers)."""
    participant = intake.participant
    content = {
        "consultation": intake.consultation_code,
        "participant": [participant.kind, participant.key_hash] if participant else None,
        "language": intake.language,
        "answers": [[a.question_id, a.value] for a in sorted(intake.answers, key=_question)],
    }
    # ASCII escapes keep any string encodable, lone surrogates included.
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


_question = attrgetter("question_id")


def _replay(session: Session, existing: Contribution, intake: Intake) -> IntakeResult:
    """Return the recorded result again, if the intake is the one recorded."""
    consultation = consultations.find(session, intake.consultation_code)
    if consultation is None or consultation.id != existing.consultation_id:
        raise IntakeConflict(
            f"{intake.channel.value} id {intake.external_id!r} was already used "
            f"for another consultation (contribution {existing.id})"
        )
    if intake.fingerprint is not None and intake.fingerprint != existing.fingerprint:
        raise IntakeConflict(
            f"{intake.channel.value} id {intake.external_id!r} was already used "
            f"for a different contribution (contribution {existing.id})"
        )
    return _result(existing, replayed=True)


def _result(contribution: Contribution, replayed: bool) -> IntakeResult:
    return IntakeResult(
        contribution_id=contribution.id,
        receipt_code=contribution.receipt_code,
        status=ContributionStatus(contribution.status),
        replayed=replayed,
        reason=contribution.status_reason,
    )


def _require_open(definition: Definition, at: datetime) -> None:
    if at < definition.opens_at:
        raise IntakeRejected([f"consultation {definition.code} is not open yet"])
    if at >= definition.closes_at:
        raise IntakeRejected([f"consultation {definition.code} is closed"])


def _check_answers(
    definition: Definition, intake: Intake, policy: DoorPolicy
) -> list[tuple[AnswerIn, AnswerCheck]]:
    threshold = definition.review_confidence_threshold or policy.review_confidence_threshold
    # A None value is a question the resident left unanswered.
    answered = [a for a in intake.answers if a.value is not None]
    given = {a.question_id for a in answered}
    problems = [f"{qid}: answered twice" for qid in _repeated(answered)]
    checks: list[tuple[AnswerIn, AnswerCheck]] = []
    for answer in answered:
        check = check_answer(definition.question(answer.question_id), answer, threshold)
        if check.status == AnswerStatus.REJECTED:
            problems.append(f"{answer.question_id}: {check.reason}")
        checks.append((answer, check))
    problems += [
        f"{q.id}: an answer is required"
        for q in definition.all_questions
        if q.required and q.id not in given
    ]
    if problems:
        raise IntakeRejected(problems)
    return checks


def _repeated(answers: list[AnswerIn]) -> list[str]:
    seen: set[str] = set()
    repeated = []
    for answer in answers:
        if answer.question_id in seen:
            repeated.append(answer.question_id)
        seen.add(answer.question_id)
    return repeated


def _participant_id(session: Session, ref: ParticipantRef | None) -> int | None:
    if ref is None:
        return None
    new_id = insert_or_ignore(
        session, Participant, key_hash=ref.key_hash, kind=ref.kind, created_at=utcnow()
    )
    return (
        new_id
        or session.scalars(select(Participant.id).where(Participant.key_hash == ref.key_hash)).one()
    )


def _insert_contribution(
    session: Session,
    consultation: Consultation,
    intake: Intake,
    participant_id: int | None,
    checks: list[tuple[AnswerIn, AnswerCheck]],
) -> Contribution | None:
    """Insert the contribution and its answers; None if the same intake won a race."""
    uncertain = any(c.status == AnswerStatus.REVIEW for _, c in checks)
    for _attempt in range(5):
        contribution = insert_or_ignore_row(
            session,
            Contribution,
            consultation_id=consultation.id,
            participant_id=participant_id,
            channel=intake.channel.value,
            external_id=intake.external_id,
            fingerprint=intake.fingerprint,
            status=ContributionStatus.REVIEW if uncertain else ContributionStatus.COUNTED,
            status_reason="uncertain answers to review" if uncertain else None,
            receipt_code=new_receipt_code(),
            language=intake.language,
            assisted_by=intake.assisted_by,
            definition_hash=consultation.definition_hash,
            submitted_at=intake.received_at or utcnow(),
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        if contribution is not None:
            if checks:
                session.execute(
                    insert(Answer), [_answer_row(contribution.id, a, c) for a, c in checks]
                )
            return contribution
        if _find_existing(session, intake) is not None:
            return None
        # Otherwise a receipt code collision: draw another.
    raise RuntimeError("could not draw a unique receipt code")


def _answer_row(contribution_id: int, answer: AnswerIn, check: AnswerCheck) -> dict[str, Any]:
    return {
        "contribution_id": contribution_id,
        "question_id": answer.question_id,
        "value": check.value,
        "raw_input": answer.raw,
        "source": answer.source.value,
        "confidence": answer.confidence,
        "status": check.status.value,
        "status_reason": check.reason,
    }


def new_receipt_code() -> str:
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return f"{code[:4]}-{code[4:]}"


def _apply_identity_policy(
    session: Session,
    definition: Definition,
    contribution: Contribution,
    intake: Intake,
    participant_id: int,
) -> None:
    kind = intake.participant.kind if intake.participant else ""
    if kind not in definition.identity.keys:
        # A key the definition does not trust cannot prove one person, one voice.
        contribution.status = ContributionStatus.REVIEW
        contribution.status_reason = f"identity key {kind!r} is not one this consultation uses"
        session.flush()
        return
    first = insert_or_ignore(
        session,
        Participation,
        consultation_id=contribution.consultation_id,
        participant_id=participant_id,
        contribution_id=contribution.id,
    )
    if first is not None:
        return
    # Locks the row on PostgreSQL; SQLite write transactions are serial already.
    held = session.scalars(
        select(Participation)
        .where(
            Participation.consultation_id == contribution.consultation_id,
            Participation.participant_id == participant_id,
        )
        .with_for_update()
    ).one()
    _settle_duplicate(session, definition.identity.on_duplicate, held, contribution)


def _settle_duplicate(
    session: Session, rule: OnDuplicate, held: Participation, newcomer: Contribution
) -> None:
    earlier = session.get_one(Contribution, held.contribution_id)
    if rule == OnDuplicate.FIRST_WINS:
        newcomer.status = ContributionStatus.DUPLICATE
        newcomer.status_reason = f"participant already took part (contribution {earlier.id})"
    elif rule == OnDuplicate.LAST_WINS:
        held.contribution_id = newcomer.id
        change_status(
            session,
            earlier,
            ContributionStatus.SUPERSEDED,
            f"replaced by contribution {newcomer.id}",
        )
    else:
        newcomer.status = ContributionStatus.REVIEW
        newcomer.status_reason = f"possible duplicate of contribution {earlier.id}"
    session.flush()


def _link_evidence(
    session: Session, contribution: Contribution, refs: list[EvidenceRef], policy: DoorPolicy
) -> None:
    retain_until = utcnow() + policy.evidence_retention
    for ref in refs:
        session.add(
            ContributionEvidence(
                contribution_id=contribution.id,
                evidence_id=_evidence_id(session, ref, retain_until),
                role=ref.role,
                question_id=ref.question_id,
            )
        )
    session.flush()


def _evidence_id(session: Session, ref: EvidenceRef, retain_until: datetime) -> int:
    new_id = insert_or_ignore(
        session,
        Evidence,
        sha256=ref.sha256,
        media_type=ref.media_type,
        size=ref.size,
        retain_until=retain_until,
        created_at=utcnow(),
    )
    if new_id is not None:
        return new_id
    # The same bytes came again: the blob was written anew, so keep it as long as
    # the newest contribution needs it.
    known = session.scalars(select(Evidence).where(Evidence.sha256 == ref.sha256)).one()
    if known.purged_at is not None or as_utc(known.retain_until) < retain_until:
        known.retain_until = retain_until
        known.purged_at = None
    return known.id


def change_status(
    session: Session,
    contribution: Contribution,
    status: ContributionStatus,
    reason: str,
    actor: str = "system",
) -> None:
    """Change a recorded contribution's status and journal it; no status changes otherwise."""
    previous = contribution.status
    contribution.status = status
    contribution.status_reason = reason
    audit.journal_contribution(
        session,
        contribution,
        "contribution.status_changed",
        {"from": previous, "reason": reason},
        actor=actor,
    )


def _audit(
    session: Session, consultation: Consultation, contribution: Contribution, intake: Intake
) -> None:
    audit.journal_contribution(
        session,
        contribution,
        "contribution.recorded",
        {
            "consultation": consultation.code,
            "channel": contribution.channel,
            "external_id": contribution.external_id,
            "answers": len(intake.answers),
            "assisted": intake.assisted_by is not None,
            "definition_hash": contribution.definition_hash,
        },
        actor=intake.assisted_by or f"channel:{contribution.channel}",
    )
