"""The one door into the store: `record_intake` (and `record_many`, for an import's rows).

With the decisions of `gateway.contributions.decisions`, the only code that writes
contributions and answers. It validates the answers against the consultation
definition, applies the identity policy, is idempotent on (channel, external_id),
routes uncertain answers to review and writes contribution, answers, evidence
references, the results' counts (`counts`) and an audit event in the caller's
transaction. The blobs of an intake
it does not record (refused, or a replay) are deleted unless stored evidence needs
them, so no channel has to.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway import audit
from gateway.consultations import repository as consultations
from gateway.consultations.schema import Definition, OnDuplicate, Policy
from gateway.contributions import counts
from gateway.contributions import repository as contributions
from gateway.contributions.decisions import ANSWERS_TO_REVIEW, POSSIBLE_DUPLICATE, change_status
from gateway.contributions.intake import (
    AnswerIn,
    DoorPolicy,
    EvidenceRef,
    Intake,
    IntakeConflict,
    IntakeRejected,
    IntakeResult,
    ParticipantRef,
)
from gateway.errors import NotFound
from gateway.store.base import utcnow
from gateway.store.models import (
    AnswerStatus,
    Contribution,
    ContributionStatus,
    Participation,
)
from gateway.validation import AnswerCheck, check_answer

# Read aloud or typed by a resident: no 0/O, 1/I/L, 5/S, 2/Z, 8/B.
RECEIPT_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
RECEIPT_LENGTH = 8


def record_intake(session: Session, intake: Intake, policy: DoorPolicy) -> IntakeResult:
    """Record an intake once; the same (channel, external_id) returns the same result."""
    if intake.evidence and policy.evidence is None:
        raise ValueError("an intake with evidence needs the evidence store in its DoorPolicy")
    try:
        result = _record(session, intake, policy)
    except (IntakeRejected, IntakeConflict, NotFound):
        _drop_unused_evidence(session, intake, policy)
        raise
    if result.replayed:
        _drop_unused_evidence(session, intake, policy)
    return result


def _record(session: Session, intake: Intake, policy: DoorPolicy) -> IntakeResult:
    try:
        consultation = consultations.version(session, intake.consultation_code)
        _require_open(consultation.definition, intake.received_at or utcnow())
        checks = _check_answers(consultation.definition, intake, policy)
    except (IntakeRejected, NotFound):
        # A replay gets its receipt again, even once the consultation has closed.
        existing = _find_existing(session, intake)
        if existing is None:
            raise
        return _replay(session, existing, intake)
    definition = consultation.definition
    written = _insert_contribution(session, consultation, intake, checks, policy)
    participant, contribution = written.participant, written.contribution
    if contribution is None:
        return _replay_clash(session, consultation, intake, participant)
    found = None
    if participant is not None and definition.identity.policy == Policy.ONE_PER_PERSON:
        found = _apply_identity_policy(
            session, definition, contribution, intake, participant.id, written.claimed
        )
    _link_evidence(session, contribution, intake, policy, written.linked)
    answers = _answer_rows(contribution.id, checks)
    along = counts.add_recorded(session, contribution, answers, counts.free_text(definition))
    _audit(session, consultation, contribution, intake, answers, found, along)
    return _result(contribution, replayed=False)


def record_many(
    session: Session, intakes: list[Intake], policy: DoorPolicy
) -> list[IntakeResult] | None:
    """Record many intakes of one consultation and channel in a few statements, or none.

    For an import's rows: without participant or evidence, each is recorded or replayed
    exactly as `record_intake` would. None, with nothing written, when one of them needs
    more than that (a refusal, a conflict, an id given twice): the caller then records
    them one by one. An id taken meanwhile by another transaction raises IntegrityError.
    """
    if not _plain_batch(intakes):
        return None
    consultation = consultations.version(session, intakes[0].consultation_code)
    channel = intakes[0].channel.value
    found = contributions.find_by_external_ids(session, channel, [i.external_id for i in intakes])
    try:
        replays = {
            i.external_id: _replay(session, found[i.external_id], i, consultation.id)
            for i in intakes
            if i.external_id in found
        }
        new = [(i, _checked_new(consultation.definition, i, policy)) for i in intakes
               if i.external_id not in found]  # fmt: skip
    except (IntakeRejected, IntakeConflict, NotFound):
        return None
    recorded = {c.external_id: _result(c, replayed=False)
                for c in _insert_many(session, consultation, new)}  # fmt: skip
    return [replays.get(i.external_id) or recorded[i.external_id] for i in intakes]


def _plain_batch(intakes: list[Intake]) -> bool:
    """Whether the intakes need nothing but inserts: one consultation, channel and id each."""
    return (
        bool(intakes)
        and not any(i.participant or i.evidence for i in intakes)
        and len({(i.consultation_code, i.channel) for i in intakes}) == 1
        and len({i.external_id for i in intakes}) == len(intakes)
    )


def _checked_new(
    definition: Definition, intake: Intake, policy: DoorPolicy
) -> list[tuple[AnswerIn, AnswerCheck]]:
    _require_open(definition, intake.received_at or utcnow())
    return _check_answers(definition, intake, policy)


def _insert_many(
    session: Session,
    consultation: consultations.Version,
    new: list[tuple[Intake, list[tuple[AnswerIn, AnswerCheck]]]],
) -> list[Contribution]:
    """Insert contributions, their answers, their counts and their journal events."""
    if not new:
        return []
    rows = [_contribution_row(consultation, intake, checks) for intake, checks in new]
    written = contributions.insert_contributions(session, rows)
    answers = [_answer_rows(c.id, checks) for c, (_, checks) in zip(written, new, strict=True)]
    contributions.insert_answers(session, [row for rows in answers for row in rows])
    counts.add_many(session, [c.id for c in written], counts.free_text(consultation.definition))
    audit.journal_recorded_many(
        session,
        [(c, a, _recorded_details(consultation, c, i), i.assisted_by or f"channel:{c.channel}")
         for c, a, (i, _) in zip(written, answers, new, strict=True)],
        consultation.code,
        "contribution.recorded",
    )  # fmt: skip
    return written


def _contribution_row(
    consultation: consultations.Version,
    intake: Intake,
    checks: list[tuple[AnswerIn, AnswerCheck]],
) -> dict[str, Any]:
    uncertain = any(c.status == AnswerStatus.REVIEW for _, c in checks)
    reason = intake.hold_for_review or (ANSWERS_TO_REVIEW if uncertain else None)
    return {
        "consultation_id": consultation.id, "participant_id": None,
        "channel": intake.channel.value, "external_id": intake.external_id,
        "fingerprint": intake.fingerprint,
        "status": ContributionStatus.REVIEW if reason else ContributionStatus.COUNTED,
        "status_reason": reason, "receipt_code": new_receipt_code(),
        "language": intake.language, "assisted_by": intake.assisted_by,
        "definition_hash": consultation.definition_hash,
        "submitted_at": intake.received_at or utcnow(),
        "created_at": utcnow(), "updated_at": utcnow(),
    }  # fmt: skip


def _find_existing(session: Session, intake: Intake) -> Contribution | None:
    return contributions.find_by_external_id(session, intake.channel.value, intake.external_id)


def _drop_unused_evidence(session: Session, intake: Intake, policy: DoorPolicy) -> None:
    """Delete the blobs of an intake not recorded: without an evidence row, retention never would.

    Nothing of this intake was linked, so the caller's commit or rollback cannot make
    these blobs needed. A blob an evidence row holds is kept: another contribution's,
    one another transaction is still linking (the claim waits for it), or one this
    transaction linked for an earlier intake, even if the caller then rolls back: a
    stray file is better than a missing one.
    """
    for ref in intake.evidence:
        if policy.evidence and contributions.blob_unused(session, ref):
            policy.evidence.delete(ref.sha256)


def _replay_clash(
    session: Session,
    consultation: consultations.Version,
    intake: Intake,
    participant: contributions.ParticipantRow | None,
) -> IntakeResult:
    """The intake's (channel, external_id) is taken: a replay, or a conflict."""
    existing = _find_existing(session, intake)
    assert existing is not None, "unique (channel, external_id) conflict without a row"
    if participant is not None and participant.created:
        # Only this intake named that participant: it leaves no trace, as before the insert.
        contributions.delete_participant(session, participant.id)
    return _replay(session, existing, intake, consultation.id)


def _replay(
    session: Session, existing: Contribution, intake: Intake, consultation_id: int | None = None
) -> IntakeResult:
    """Return the recorded result again, if the intake is the one recorded."""
    if consultation_id is None:
        found = consultations.find(session, intake.consultation_code)
        consultation_id = found.id if found is not None else None
    if consultation_id != existing.consultation_id:
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
    own = definition.review_confidence_threshold
    # A definition's own threshold wins, 0 included (every machine reading counts).
    threshold = policy.review_confidence_threshold if own is None else own
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


def _insert_contribution(
    session: Session,
    consultation: consultations.Version,
    intake: Intake,
    checks: list[tuple[AnswerIn, AnswerCheck]],
    policy: DoorPolicy,
) -> contributions.Written:
    """Insert the contribution, its answers, its participant if new, under one person,
    one voice its claim on the participation, and evidence new to the store (on
    PostgreSQL); no contribution if its (channel, external_id) is taken."""
    participant: ParticipantRef | contributions.ParticipantRow | None = intake.participant
    claim = _claims_participation(consultation.definition, intake)
    answers = [_answer_row(answer, check) for answer, check in checks]
    retain_until = utcnow() + policy.evidence_retention
    for _attempt in range(5):
        row = _contribution_row(consultation, intake, checks)
        written = contributions.insert_contribution(
            session, row, answers, participant, claim, intake.evidence, retain_until
        )
        if written.contribution is not None or _find_existing(session, intake) is not None:
            return written
        # Otherwise a receipt code collision: draw another, for the participant now known.
        participant = written.participant
    raise RuntimeError("could not draw a unique receipt code")


def _claims_participation(definition: Definition, intake: Intake) -> bool:
    """Whether the intake's participant can prove one person, one voice here."""
    return (
        intake.participant is not None
        and definition.identity.policy == Policy.ONE_PER_PERSON
        and intake.participant.kind in definition.identity.keys
    )


def _answer_rows(
    contribution_id: int, checks: list[tuple[AnswerIn, AnswerCheck]]
) -> list[dict[str, Any]]:
    return [
        {"contribution_id": contribution_id, **_answer_row(answer, check)}
        for answer, check in checks
    ]


def _answer_row(answer: AnswerIn, check: AnswerCheck) -> dict[str, Any]:
    return {
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
    claimed: bool,
) -> dict[str, Any] | None:
    """Apply one person, one voice; say which contribution this one repeats, if any.

    `claimed`: whether the contribution took the participation as it was written.

    The participant is one row per keyed hash, whichever channel brought it: the
    same phone by SMS, by phone or proved online or at a kiosk is one person.
    """
    kind = intake.participant.kind if intake.participant else ""
    if kind not in definition.identity.keys:
        # A key the definition does not trust cannot prove one person, one voice.
        contribution.status = ContributionStatus.REVIEW
        contribution.status_reason = f"identity key {kind!r} is not one this consultation uses"
        session.flush()
        return None
    if claimed:
        return None
    held = contributions.lock_participation(session, contribution.consultation_id, participant_id)
    assert held is not None, "a participation that refused a claim is gone"
    rule = definition.identity.on_duplicate
    earlier = _settle_duplicate(session, rule, held, contribution)
    return {"contribution": earlier.id, "channel": earlier.channel, "rule": rule.value}


def _settle_duplicate(
    session: Session, rule: OnDuplicate, held: Participation, newcomer: Contribution
) -> Contribution:
    """Settle a participant's second contribution by the rule; return the earlier one."""
    earlier = contributions.contribution(session, held.contribution_id)
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
        newcomer.status_reason = POSSIBLE_DUPLICATE.format(earlier.id)
    session.flush()
    return earlier


def _link_evidence(
    session: Session,
    contribution: Contribution,
    intake: Intake,
    policy: DoorPolicy,
    linked: frozenset[str],
) -> None:
    """Link the evidence the contribution's own statement did not (blobs with a row)."""
    rest = [ref for ref in intake.evidence if ref.sha256 not in linked]
    if rest:
        attach_evidence(session, contribution.id, rest, policy)


def attach_evidence(
    session: Session, contribution_id: int, refs: list[EvidenceRef], policy: DoorPolicy
) -> None:
    """Link evidence to a recorded contribution, also when it comes later (a recording)."""
    retain_until = utcnow() + policy.evidence_retention
    contributions.link_evidence(session, contribution_id, refs, retain_until)
    session.flush()


def keep_evidence(session: Session, refs: list[EvidenceRef], policy: DoorPolicy) -> None:
    """Put blobs no contribution holds yet under retention, so they are purged in time.

    A channel stores some inputs before knowing whether they make a contribution (a
    scanned page that is rejected, a duplicate): without a row, retention never would.
    """
    contributions.hold_evidence(session, refs, utcnow() + policy.evidence_retention)


def _audit(
    session: Session,
    consultation: consultations.Version,
    contribution: Contribution,
    intake: Intake,
    answers: list[dict[str, Any]],
    duplicate_of: dict[str, Any] | None,
    along: audit.Along | None,
) -> None:
    # `duplicate_of`: the participant's earlier contribution the identity policy found,
    # its channel and the rule applied, so the journal shows both sides of a duplicate.
    # `along`: the counts, written by the same statement (PostgreSQL).
    audit.journal_recorded(
        session,
        contribution,
        consultation.code,
        answers,
        "contribution.recorded",
        _recorded_details(consultation, contribution, intake)
        | ({"duplicate_of": duplicate_of} if duplicate_of else {}),
        actor=intake.assisted_by or f"channel:{contribution.channel}",
        along=along,
    )


def _recorded_details(
    consultation: consultations.Version, contribution: Contribution, intake: Intake
) -> dict[str, Any]:
    return {
        "consultation": consultation.code,
        "channel": contribution.channel,
        "external_id": contribution.external_id,
        "answers": len(intake.answers),
        "assisted": intake.assisted_by is not None,
        "definition_hash": contribution.definition_hash,
    }
