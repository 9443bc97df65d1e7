"""Decisions on review items, taken through the contributions core and journaled by it.

Mediation never writes a contribution or an answer: accepting, correcting or
rejecting an item calls `gateway.contributions.decisions`, which locks, checks,
changes and journals. Here is only which decision an action on an item means.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from gateway import audit
from gateway.contributions import decisions
from gateway.contributions.decisions import DecisionRefused
from gateway.moderation import DECIDED, MODERATED_TEXT
from gateway.store.models import ContributionStatus
from mediation import pairs, queue
from mediation.pairs import PairAction
from mediation.queue import Item

ACCEPTED = "accepted in review"
CORRECTED = "corrected in review"
REJECTED = "rejected in review"
NOT_A_DUPLICATE = "not a duplicate, checked in review"
A_DUPLICATE = "a duplicate, checked in review"


class Action(StrEnum):
    ACCEPT = "accept"
    CORRECT = "correct"
    REJECT = "reject"


def decide(
    session: Session, item: Item, action: Action | PairAction, value: Any, actor: str
) -> None:
    """Take `action` on `item` through the core; `DecisionRefused` when it does not apply."""
    if isinstance(action, PairAction):
        pairs.decide(session, item, action, actor)
    elif item.key.startswith("m"):
        _moderate(session, item, action, value, actor)
    elif item.answer_id is not None:
        _decide_answer(session, item.answer_id, action, value, actor)
    else:
        _decide_contribution(session, item, action, actor)


def _decide_answer(
    session: Session, answer_id: int, action: Action, value: Any, actor: str
) -> None:
    if action == Action.ACCEPT:
        decisions.accept_answer(session, answer_id, actor=actor, reason=ACCEPTED)
    elif action == Action.CORRECT:
        decisions.correct_answer(session, answer_id, value, actor=actor, reason=CORRECTED)
    else:
        decisions.reject_answer(session, answer_id, actor=actor, reason=REJECTED)


def _moderate(session: Session, item: Item, action: Action, value: Any, actor: str) -> None:
    """Journal what of a free text is published: masked, as corrected, or nothing."""
    if action == Action.CORRECT and not (isinstance(value, str) and value.strip()):
        raise DecisionRefused("a corrected text to publish cannot be empty")
    published = {Action.ACCEPT: item.value, Action.CORRECT: value, Action.REJECT: None}[action]
    what = {Action.ACCEPT: "masked", Action.CORRECT: "edited", Action.REJECT: "withheld"}[action]
    payload = {"contribution": item.contribution_id, "question": item.question_id,
               "found": item.detail, "published": published}  # fmt: skip
    assert item.answer_id is not None
    audit.append(session, f"{DECIDED}{what}", MODERATED_TEXT, item.answer_id, payload,
                 actor=actor)  # fmt: skip


def _decide_contribution(session: Session, item: Item, action: Action, actor: str) -> None:
    if action == Action.CORRECT:
        raise DecisionRefused("a contribution held as a whole is counted or set aside")
    earlier = queue.duplicate_of(item)
    if earlier is not None and action == Action.REJECT:
        decisions.resolve_duplicate(
            session, earlier, item.contribution_id, actor=actor, reason=A_DUPLICATE
        )
        return
    counted = action == Action.ACCEPT
    status = ContributionStatus.COUNTED if counted else ContributionStatus.REJECTED
    reason = (NOT_A_DUPLICATE if earlier is not None else ACCEPTED) if counted else REJECTED
    decisions.decide_status(session, item.contribution_id, status, actor=actor, reason=reason)
