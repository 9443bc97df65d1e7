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
import re
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
# How the door says it held a contribution for a person under `on_duplicate: review`.
POSSIBLE_DUPLICATE = "possible duplicate of contribution {}"
_POSSIBLE_DUPLICATE = re.compile(r"possible duplicate of contribution ([0-9]+)")
# The journal's record of a held pair settled, and of that decision undone.
DUPLICATE_PAIR = "duplicate_pair"
PAIR_SETTLED = "duplicate.settled"
PAIR_REOPENED = "duplicate.reopened"
# Statuses only the identity rules give: see `resolve_duplicate`.
_DUPLICATE_STATUSES = {ContributionStatus.DUPLICATE, ContributionStatus.SUPERSEDED}
# A participant's contribution in one of these counts now or may count after review.
_MAY_COUNT: frozenset[str] = frozenset({ContributionStatus.COUNTED, ContributionStatus.REVIEW})
# What a person's decision on a contribution held as a whole may be undone from.
_REOPENABLE = {ContributionStatus.REJECTED, ContributionStatus.DUPLICATE}


class DecisionRefused(PortevoixError):
    """Nothing was changed: the decision does not apply to what the store holds."""


def change_status(
    session: Session,
    contribution: Contribution,
    status: ContributionStatus,
    reason: str,
    actor: str = "system",
) -> None:
    """Change a recorded contribution's status and journal it; no status changes otherwise.

    The journal keeps why it had its previous status (`was`), so an undo can restore it.
    """
    previous, was = contribution.status, contribution.status_reason
    with counts.recounting(session, contribution):
        contribution.status = status
        contribution.status_reason = reason
    audit.journal_contribution(
        session,
        contribution,
        "contribution.status_changed",
        {"from": previous, "reason": reason, "was": was},
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


def reopen_contribution(
    session: Session, contribution_id: int, why: str, *, actor: str, reason: str
) -> Contribution:
    """Send a contribution a person set aside back to review, waiting there again for `why`.

    For undoing a decision on a contribution held as a whole: one that counts is not
    reopened, nor one superseded (its participant's participation passed to another),
    nor one settled from its answers (their decisions are what an undo reopens).
    """
    _require_reason(reason)
    contribution = _locked(session, contribution_id)
    if contribution.status not in _REOPENABLE:
        raise DecisionRefused(f"contribution {contribution_id} is {contribution.status}: it stays")
    if not why.strip() or why == ANSWERS_TO_REVIEW:
        raise DecisionRefused(f"contribution {contribution_id} was settled from its answers")
    details = {"from": contribution.status, "reason": reason, "waits_for": why}
    with counts.recounting(session, contribution):
        contribution.status, contribution.status_reason = ContributionStatus.REVIEW, why
    audit.journal_contribution(session, contribution, "contribution.reopened", details, actor=actor)
    return contribution


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
    _resolve(session, keep, other, actor, reason)
    return keep


def _resolve(
    session: Session, keep: Contribution, other: Contribution, actor: str, reason: str
) -> None:
    if _one_per_person(session, keep):
        # First: it is what may refuse, and a refused decision changes nothing.
        _hold_participation(session, keep, yielding=other)
    loser = ContributionStatus.DUPLICATE if other.id > keep.id else ContributionStatus.SUPERSEDED
    if other.status != loser:
        change_status(session, other, loser, reason, actor)
    _settle_kept(session, keep, actor, reason)


def possible_duplicate_of(contribution: Contribution) -> int | None:
    """The earlier contribution the door found a contribution it held may repeat."""
    if contribution.status != ContributionStatus.REVIEW:
        return None
    found = _POSSIBLE_DUPLICATE.fullmatch(contribution.status_reason or "")
    return int(found.group(1)) if found else None


def settle_possible_duplicate(
    session: Session, held_id: int, keep_id: int | None, *, actor: str, reason: str
) -> tuple[Contribution, Contribution]:
    """Settle a pair the door held under `on_duplicate: review`: keep one of the two, or neither.

    `held_id` is the contribution held, `keep_id` the one kept (it, or the earlier
    one its reason names) or None to reject both. Refused unless the contribution is
    still held so, checked with both locked: of two reviewers racing, one decides.
    Returns the pair, earlier first.
    """
    _require_reason(reason)
    found = contributions.find_contribution(session, held_id)
    if found is None:
        raise NotFound(f"no contribution {held_id}")
    earlier_id = possible_duplicate_of(found)
    if earlier_id is None:
        raise DecisionRefused(f"contribution {held_id} is not held as a possible duplicate")
    earlier, held = _duplicate_pair(session, earlier_id, held_id)
    if possible_duplicate_of(held) != earlier.id:
        raise DecisionRefused(f"contribution {held_id} was settled already")
    before = [earlier.status, earlier.status_reason]
    if keep_id is None:
        _reject_both(session, (earlier, held), actor, reason)
    elif keep_id in (earlier.id, held.id):
        keep, other = (earlier, held) if keep_id == earlier.id else (held, earlier)
        _resolve(session, keep, other, actor, reason)
    else:
        raise DecisionRefused(f"contribution {keep_id} is not one of the pair")
    # Last, after the status changes it sums up: `reopen_possible_duplicate` relies on it.
    details = {"earlier": earlier.id, "kept": keep_id, "reason": reason, "earlier_was": before}
    audit.append(session, PAIR_SETTLED, DUPLICATE_PAIR, held.id, details, actor=actor)
    return earlier, held


def reopen_possible_duplicate(
    session: Session, held_id: int, *, actor: str, reason: str
) -> tuple[Contribution, Contribution]:
    """Undo the last settling of a held pair: the pair is back in review as the door left it.

    The held contribution waits again as a possible duplicate, the earlier one gets
    back its status and the participant's participation. Refused once anything has
    happened to either, or the participant took part again, since: that is a new decision.
    """
    _require_reason(reason)
    settled = contributions.last_pair_decision(session, held_id)
    if settled is None or settled.action != PAIR_SETTLED:
        raise DecisionRefused(f"no settled pair of contribution {held_id} to reopen")
    earlier, held = _duplicate_pair(session, int(settled.payload["earlier"]), held_id)
    assert held.participant_id is not None
    # A later contribution of the participant's, as much as a change to the pair.
    theirs = contributions.participant_contributions(
        session, held.consultation_id, held.participant_id
    )
    if contributions.journaled_since(session, settled.id, theirs):
        raise DecisionRefused(f"the participant's contributions changed since ({held.id})")
    was_status, was_reason = settled.payload["earlier_was"]
    if (earlier.status, earlier.status_reason) != (was_status, was_reason):
        change_status(session, earlier, ContributionStatus(was_status), was_reason, actor)
    change_status(
        session, held, ContributionStatus.REVIEW, POSSIBLE_DUPLICATE.format(earlier.id), actor
    )
    if _one_per_person(session, earlier):
        _give_participation(session, earlier)
    details = {"earlier": earlier.id, "reason": reason}
    audit.append(session, PAIR_REOPENED, DUPLICATE_PAIR, held.id, details, actor=actor)
    return earlier, held


def _give_participation(session: Session, contribution: Contribution) -> None:
    assert contribution.participant_id is not None
    held = contributions.lock_participation(
        session, contribution.consultation_id, contribution.participant_id
    )
    assert held is not None, "a pair settled without the participant's participation"
    held.contribution_id = contribution.id


def _reject_both(
    session: Session, pair: tuple[Contribution, Contribution], actor: str, reason: str
) -> None:
    """Neither counts: for two answers a person cannot tell which the resident meant."""
    for contribution in pair:
        if contribution.status != ContributionStatus.REJECTED:
            change_status(session, contribution, ContributionStatus.REJECTED, reason, actor)


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
