"""Decisions a person takes on recorded contributions, for mediation to call.

With the door, the only code that changes contributions and answers. Each
decision names its actor (a staff account, `staff:<login>`) and a reason, is taken
with the contribution locked, and is journaled with the contribution's content as
the store then holds it, so `portevoix audit verify` vouches for it. A decision
that does not apply to what the store holds raises `DecisionRefused` and changes
nothing; the caller's transaction commits or rolls back as usual.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from gateway import audit
from gateway.consultations import repository as consultations
from gateway.consultations.schema import Policy, Question
from gateway.contributions import counts
from gateway.contributions import repository as contributions
from gateway.errors import NotFound, PortevoixError
from gateway.mandates import repository as mandates
from gateway.mandates.models import KioskMandate
from gateway.store.base import utcnow
from gateway.store.models import Answer, AnswerStatus, Contribution, ContributionStatus
from gateway.validation import InvalidAnswer, normalise

# Why the door sends a contribution to review when only its answers are in doubt;
# it is settled from its answers once the last one is decided.
ANSWERS_TO_REVIEW = "uncertain answers to review"
# Statuses only the identity rules give: see `resolve_duplicate`.
_DUPLICATE_STATUSES = {ContributionStatus.DUPLICATE, ContributionStatus.SUPERSEDED}
# A participant's contribution in one of these counts now or may count after review.
_MAY_COUNT: frozenset[str] = frozenset({ContributionStatus.COUNTED, ContributionStatus.REVIEW})


class DecisionRefused(PortevoixError):
    """Nothing was changed: the decision does not apply to what the store holds."""


def change_status(
    session: Session,
    contribution: Contribution,
    status: ContributionStatus,
    reason: str,
    actor: str = "system",
) -> None:
    """Change a recorded contribution's status and journal it; no status changes otherwise."""
    previous = contribution.status
    with counts.recounting(session, contribution):
        contribution.status = status
        contribution.status_reason = reason
    audit.journal_contribution(
        session,
        contribution,
        "contribution.status_changed",
        {"from": previous, "reason": reason},
        actor=actor,
    )


class _Verdict(NamedTuple):
    value: Any
    status: AnswerStatus
    action: str


def accept_answer(session: Session, answer_id: int, *, actor: str, reason: str) -> Answer:
    """Confirm the machine's reading of an answer in review: it counts as read."""
    answer, contribution = _answer_in_review(session, answer_id, reason)
    value = _checked(_question(session, contribution, answer), answer.value, "the reading")
    verdict = _Verdict(value, AnswerStatus.VALID, "answer.accepted")
    _decide(session, contribution, answer, verdict, actor, reason)
    return answer


def correct_answer(
    session: Session, answer_id: int, value: Any, *, actor: str, reason: str
) -> Answer:
    """Replace the machine's reading of an answer in review by what a person read."""
    answer, contribution = _answer_in_review(session, answer_id, reason)
    corrected = _checked(_question(session, contribution, answer), value, "the correction")
    if answer.raw_input is None:
        # The machine's reading stays on record as the raw input it was.
        answer.raw_input = json.dumps(answer.value, ensure_ascii=False)
    verdict = _Verdict(corrected, AnswerStatus.VALID, "answer.corrected")
    _decide(session, contribution, answer, verdict, actor, reason)
    return answer


def propose_reading(
    session: Session,
    contribution_id: int,
    question_id: str,
    value: Any,
    *,
    confidence: float,
    actor: str,
    reason: str,
) -> Answer:
    """Put what a machine heard or read as the value of an answer in review; it stays there.

    A person then accepts it, corrects it or sets it aside: a proposal never counts.
    """
    answer_id = contributions.answer_id_of(session, contribution_id, question_id)
    if answer_id is None:
        raise NotFound(f"no answer to {question_id} in contribution {contribution_id}")
    answer, contribution = _answer_in_review(session, answer_id, reason)
    proposed = _checked(_question(session, contribution, answer), value, "the reading")
    details = {"answer": answer.id, "question": question_id, "reason": reason,
               "from": answer.value, "to": proposed, "confidence": confidence}  # fmt: skip
    with counts.recounting(session, contribution):
        answer.value, answer.confidence, answer.status_reason = proposed, confidence, reason
    audit.journal_contribution(session, contribution, "answer.proposed", details, actor=actor)
    return answer


def reject_answer(session: Session, answer_id: int, *, actor: str, reason: str) -> Answer:
    """Set aside an answer in review that cannot be read: it is not counted."""
    answer, contribution = _answer_in_review(session, answer_id, reason)
    verdict = _Verdict(answer.value, AnswerStatus.REJECTED, "answer.rejected")
    _decide(session, contribution, answer, verdict, actor, reason)
    return answer


def reopen_answer(
    session: Session, answer_id: int, value: Any, *, actor: str, reason: str
) -> Answer:
    """Put a decided answer back in review with `value`, while its contribution waits there.

    For undoing a decision: once the contribution counts or is set aside, nothing reopens.
    """
    _require_reason(reason)
    found = contributions.lock_answer(session, answer_id)
    if found is None:
        raise NotFound(f"no answer {answer_id}")
    answer, contribution = found
    if answer.status == AnswerStatus.REVIEW or contribution.status != ContributionStatus.REVIEW:
        raise DecisionRefused(f"answer {answer_id} cannot be reopened: it is settled")
    details = {"answer": answer.id, "question": answer.question_id, "reason": reason,
               "from": answer.value, "to": value}  # fmt: skip
    with counts.recounting(session, contribution):
        answer.value, answer.status, answer.status_reason = value, AnswerStatus.REVIEW, reason
    audit.journal_contribution(session, contribution, "answer.reopened", details, actor=actor)
    return answer


def _answer_in_review(session: Session, answer_id: int, reason: str) -> tuple[Answer, Contribution]:
    _require_reason(reason)
    found = contributions.lock_answer(session, answer_id)
    if found is None:
        raise NotFound(f"no answer {answer_id}")
    answer, contribution = found
    if answer.status != AnswerStatus.REVIEW:
        raise DecisionRefused(f"answer {answer_id} is {answer.status}, not in review")
    return answer, contribution


def _question(session: Session, contribution: Contribution, answer: Answer) -> Question:
    consultation = contributions.consultation_of(session, contribution)
    question = consultations.definition_of(consultation).question(answer.question_id)
    if question is None:
        raise DecisionRefused(f"{answer.question_id}: no such question in {consultation.code}")
    return question


def _checked(question: Question, value: Any, what: str) -> Any:
    try:
        return normalise(question, value)
    except InvalidAnswer as error:
        raise DecisionRefused(f"{question.id}: {what} is not a valid answer: {error}") from None


def _decide(
    session: Session,
    contribution: Contribution,
    answer: Answer,
    verdict: _Verdict,
    actor: str,
    reason: str,
) -> None:
    details = {"answer": answer.id, "question": answer.question_id, "reason": reason}
    if verdict.value != answer.value:
        details |= {"from": answer.value, "to": verdict.value}
    with counts.recounting(session, contribution):
        answer.value, answer.status, answer.status_reason = verdict.value, verdict.status, reason
    audit.journal_contribution(session, contribution, verdict.action, details, actor=actor)
    _settle_from_answers(session, contribution, actor)


def _settle_from_answers(session: Session, contribution: Contribution, actor: str) -> None:
    """Count or reject a contribution in review for its answers once none is left to decide."""
    if contribution.status != ContributionStatus.REVIEW:
        return
    if contribution.status_reason != ANSWERS_TO_REVIEW:
        return
    if contributions.answers_in_review(session, contribution.id):
        return
    if contributions.valid_answers(session, contribution.id):
        change_status(session, contribution, ContributionStatus.COUNTED, "answers reviewed", actor)
    else:
        rejected = ContributionStatus.REJECTED
        change_status(session, contribution, rejected, "no answer could be read", actor)


def resolve_duplicate(
    session: Session, keep_id: int, other_id: int, *, actor: str, reason: str
) -> Contribution:
    """Keep one of a participant's two contributions; the other stops counting.

    The other becomes a duplicate when it came later and superseded when it came
    first, as the door would have marked it; under a one-per-person policy the
    participant's participation passes to the one kept. The one kept counts, or
    waits in review while some of its answers do.
    """
    _require_reason(reason)
    keep, other = _duplicate_pair(session, keep_id, other_id)
    if _one_per_person(session, keep):
        # First: it is what may refuse, and a refused decision changes nothing.
        _hold_participation(session, keep, yielding=other)
    loser = ContributionStatus.DUPLICATE if other.id > keep.id else ContributionStatus.SUPERSEDED
    if other.status != loser:
        change_status(session, other, loser, reason, actor)
    _settle_kept(session, keep, actor, reason)
    return keep


def _duplicate_pair(
    session: Session, keep_id: int, other_id: int
) -> tuple[Contribution, Contribution]:
    if keep_id == other_id:
        raise DecisionRefused(f"contribution {keep_id} cannot duplicate itself")
    # Locked in id order, so two opposite decisions cannot deadlock.
    locked = {cid: _locked(session, cid) for cid in sorted((keep_id, other_id))}
    keep, other = locked[keep_id], locked[other_id]
    if keep.consultation_id != other.consultation_id:
        raise DecisionRefused(f"contributions {keep_id} and {other_id} answer two consultations")
    if keep.participant_id is None or keep.participant_id != other.participant_id:
        raise DecisionRefused(f"contributions {keep_id} and {other_id} are not one participant's")
    return keep, other


def _settle_kept(session: Session, keep: Contribution, actor: str, reason: str) -> None:
    """The kept contribution counts, or waits in review for its answers only."""
    if contributions.answers_in_review(session, keep.id):
        if keep.status_reason != ANSWERS_TO_REVIEW:
            change_status(session, keep, ContributionStatus.REVIEW, ANSWERS_TO_REVIEW, actor)
    elif keep.status != ContributionStatus.COUNTED:
        change_status(session, keep, ContributionStatus.COUNTED, reason, actor)


def decide_status(
    session: Session, contribution_id: int, status: ContributionStatus, *, actor: str, reason: str
) -> Contribution:
    """Count a contribution, reject it, or send it back to review.

    Counting waits until no answer is left to review and, under a one-per-person
    policy, refuses while another of the participant's contributions counts:
    that is `resolve_duplicate`'s to settle, as are the duplicate statuses.
    """
    _require_reason(reason)
    if status in _DUPLICATE_STATUSES:
        raise DecisionRefused(f"a contribution becomes {status} by resolving a duplicate")
    contribution = _locked(session, contribution_id)
    if contribution.status == status:
        raise DecisionRefused(f"contribution {contribution_id} is {status} already")
    if status == ContributionStatus.COUNTED:
        _require_countable(session, contribution)
    change_status(session, contribution, status, reason, actor)
    return contribution


def _require_countable(session: Session, contribution: Contribution) -> None:
    pending = contributions.answers_in_review(session, contribution.id)
    if pending:
        raise DecisionRefused(
            f"contribution {contribution.id} still has answers to review ({pending})"
        )
    if _one_per_person(session, contribution):
        _hold_participation(session, contribution, yielding=None)


def _hold_participation(
    session: Session, contribution: Contribution, yielding: Contribution | None
) -> None:
    """Make the contribution its participant's one, unless another still may count."""
    assert contribution.participant_id is not None
    consultation_id, participant_id = contribution.consultation_id, contribution.participant_id
    if contributions.claim_participation(session, consultation_id, participant_id, contribution.id):
        return
    held = contributions.lock_participation(session, consultation_id, participant_id)
    assert held is not None, "a participation that refused a claim is gone"
    holder = contributions.contribution(session, held.contribution_id)
    if holder not in (contribution, yielding) and holder.status in _MAY_COUNT:
        raise DecisionRefused(
            f"the participant's contribution {holder.id} is {holder.status}: resolve the duplicate"
        )
    held.contribution_id = contribution.id


def _one_per_person(session: Session, contribution: Contribution) -> bool:
    if contribution.participant_id is None:
        return False
    definition = consultations.definition_of(contributions.consultation_of(session, contribution))
    return definition.identity.policy == Policy.ONE_PER_PERSON


def revoke_mandate(session: Session, mandate_id: int, *, actor: str, reason: str) -> KioskMandate:
    """Revoke a médiateur's mandate; the contribution recorded under it goes back to review.

    Journaled first as `mandate.revoked`; a contribution that counts, or waits in
    review for its answers only, is sent back to review with the revocation as
    its reason, so deciding its answers does not count it again on its own.
    """
    _require_reason(reason)
    mandate = mandates.lock_mandate(session, mandate_id)
    if mandate is None:
        raise NotFound(f"no mandate {mandate_id}")
    if mandate.revoked_at is not None:
        raise DecisionRefused(f"mandate {mandate_id} is revoked already")
    mandate.revoked_at, mandate.revoked_by, mandate.revoke_reason = utcnow(), actor, reason
    details = {"contribution": mandate.contribution_id, "reason": reason}
    audit.append(session, "mandate.revoked", "kiosk_mandate", mandate.id, details, actor=actor)
    if mandate.contribution_id is not None:
        _send_back(session, _locked(session, mandate.contribution_id), actor, reason)
    return mandate


def _send_back(session: Session, contribution: Contribution, actor: str, reason: str) -> None:
    """Put a contribution that counts or may count back to review, for a person to decide."""
    why = f"mandate revoked: {reason}"
    if contribution.status in _MAY_COUNT and contribution.status_reason != why:
        change_status(session, contribution, ContributionStatus.REVIEW, why, actor)


def _locked(session: Session, contribution_id: int) -> Contribution:
    contribution = contributions.lock_contribution(session, contribution_id)
    if contribution is None:
        raise NotFound(f"no contribution {contribution_id}")
    return contribution


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise DecisionRefused("a decision needs a reason")
