"""Undo of a reviewer's own last decision, while what it decided does not count yet.

The last decision is the journal's: an answer accepted, corrected or rejected goes
back to review while its contribution waits there; a contribution held as a whole
and set aside (rejected, or found a duplicate) goes back to review for the reason
it waited for, unless someone else decided on it since; a first review in double
review is withdrawn while no second reviewer has decided; a pair of possible
duplicates settled goes back to review, both sides as they were, until anything else
happens to that person's contributions. A decision that counted
something, an agreement or disagreement of two reviewers, a moderation and an undo
are not undone. Contributions and answers change only through the core.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.contributions import decisions, reviewed
from gateway.contributions.decisions import DecisionRefused
from gateway.store.models import AuditEvent, ContributionStatus
from mediation import double, queue

UNDONE = "decision undone by its reviewer"
UNDOS = (reviewed.REOPENED, "contribution.reopened", "review.withdrawn", decisions.PAIR_REOPENED)


def undo(session: Session, actor: str, staff_id: int) -> str:
    """Undo the actor's last decision; return the key of the item it puts back in review."""
    event = queue.last_decision(session, actor)
    if event is None or event.action in UNDOS:
        raise DecisionRefused("no decision of yours to undo")
    if event.action in reviewed.DECIDED:
        return _reopen_answer(session, event, actor)
    if event.action == decisions.PAIR_SETTLED:
        held_id = int(event.subject_id)
        decisions.reopen_possible_duplicate(session, held_id, actor=actor, reason=UNDONE)
        return f"c{held_id}"
    if event.action == queue.STATUS_CHANGED:
        return _reopen_contribution(session, event, actor)
    if event.action == double.FIRST:
        double.withdraw(session, event.subject_id, staff_id, actor)
        return event.subject_id
    raise DecisionRefused(f"your last decision ({event.action}) cannot be undone")


def _reopen_answer(session: Session, event: AuditEvent, actor: str) -> str:
    answer_id = int(event.payload["answer"])
    previous = event.payload.get("from", queue.answer_value(session, answer_id))
    decisions.reopen_answer(session, answer_id, previous, actor=actor, reason=UNDONE)
    return f"a{answer_id}"


def _reopen_contribution(session: Session, event: AuditEvent, actor: str) -> str:
    if event.payload.get("status") == ContributionStatus.COUNTED:
        raise DecisionRefused("your last decision counted this contribution: it stays counted")
    if queue.decided_since(session, event):
        raise DecisionRefused("someone else decided on this contribution since your decision")
    contribution_id = int(event.subject_id)
    waited = event.payload.get("was") or ""
    decisions.reopen_contribution(session, contribution_id, waited, actor=actor, reason=UNDONE)
    return f"c{contribution_id}"
