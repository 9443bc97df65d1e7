"""Double review of votes: an uncertain mark counts once two different reviewers agree.

The first reviewer's decision is kept aside (a `ReviewVote`, journaled) and the item
stays in the queue for someone else. A second reviewer who decides the same
is what makes the decision, through the core; one who decides otherwise leaves
the item disputed, and only an agent decides it then.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gateway import audit
from gateway.contributions.decisions import DecisionRefused
from mediation import review
from mediation.models import ReviewVote
from mediation.queue import Item
from mediation.review import Action

REVIEW_ITEM = "review_item"
FIRST = "review.first"


class Outcome(StrEnum):
    WAITING = "waiting for a second reviewer"
    AGREED = "two reviewers agree"
    DISPUTED = "reviewers disagree: an agent decides"


def votes(session: Session, key: str) -> list[ReviewVote]:
    """The item's first reviews, locked: a second review and a withdrawal wait for each other."""
    query = select(ReviewVote).where(ReviewVote.item == key).order_by(ReviewVote.id)
    return list(session.scalars(query.with_for_update()))


def decide(
    session: Session, item: Item, action: Action, value: Any, staff_id: int, actor: str
) -> Outcome:
    """Record a reviewer's decision; take it through the core once a second one agrees."""
    earlier = votes(session, item.key)
    if len(earlier) > 1:
        raise DecisionRefused("the reviewers disagree on this item: an agent decides")
    if any(vote.staff_id == staff_id for vote in earlier):
        raise DecisionRefused("you reviewed this item already: another reviewer decides")
    canonical = _canonical(action, value)
    if earlier and (earlier[0].action, earlier[0].value) == (action.value, canonical):
        review.decide(session, item, action, value, actor)
        _journal(session, item, "review.agreed", actor, action, canonical)
        settle(session, item.key)
        return Outcome.AGREED
    session.add(ReviewVote(item=item.key, staff_id=staff_id, action=action.value, value=canonical))
    outcome = Outcome.DISPUTED if earlier else Outcome.WAITING
    _journal(session, item, "review.disputed" if earlier else FIRST, actor, action, canonical)
    return outcome


def withdraw(session: Session, key: str, staff_id: int, actor: str) -> None:
    """Take back one's first review of an item, while no second reviewer has decided it."""
    found = votes(session, key)
    mine = [vote for vote in found if vote.staff_id == staff_id]
    if not mine:
        raise DecisionRefused("a second reviewer decided this item since: it is settled")
    if len(found) > 1:
        raise DecisionRefused("another reviewer decided this item after you: an agent decides")
    session.delete(mine[0])
    payload = {"action": mine[0].action, "value": json.dumps(mine[0].value, ensure_ascii=False)}
    audit.append(session, "review.withdrawn", REVIEW_ITEM, key, payload, actor=actor)


def settle(session: Session, key: str) -> None:
    """Forget the first reviews of an item once it is decided."""
    session.execute(delete(ReviewVote).where(ReviewVote.item == key))


def _canonical(action: Action, value: Any) -> Any:
    if action != Action.CORRECT:
        return None
    return sorted(value) if isinstance(value, list) else value


def _journal(
    session: Session, item: Item, what: str, actor: str, action: Action, value: Any
) -> None:
    payload = {"contribution": item.contribution_id, "answer": item.answer_id,
               "action": action.value, "value": json.dumps(value, ensure_ascii=False)}  # fmt: skip
    audit.append(session, what, REVIEW_ITEM, item.key, payload, actor=actor)
