"""Possible duplicates as pairs: one participant's two contributions, side by side.

Under `on_duplicate: review` the door holds a participant's second contribution
with the reason "possible duplicate of contribution N", whichever channels the two
came by (the same phone by SMS and at a kiosk is one keyed hash, one participant).
A reviewer sees both and keeps the first, the second or neither; each decision goes
through `gateway.contributions.decisions`, which checks, changes and journals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from gateway.contributions import decisions
from gateway.contributions.decisions import DecisionRefused
from gateway.store.models import Contribution
from mediation import queue
from mediation.queue import Item

# What a reviewer decides, for knowing whether their last decision was on a pair.
KEPT_FIRST = "the first of two kept, checked in review"
KEPT_SECOND = "the second of two kept, checked in review"
NEITHER_KEPT = "neither of two kept, checked in review"


class PairAction(StrEnum):
    KEEP_FIRST = "keep_first"
    KEEP_SECOND = "keep_second"
    REJECT_BOTH = "reject_both"


@dataclass(frozen=True)
class Side:
    """One of the two contributions, as the reviewer compares it."""

    contribution_id: int
    channel: str
    submitted_at: datetime
    status: str
    assisted_by: str | None
    answers: list[tuple[str, Any, str]]


@dataclass(frozen=True)
class Pair:
    first: Side
    second: Side


def pair(session: Session, item: Item) -> Pair | None:
    """The item's two contributions, in the order they were recorded; None if not a pair."""
    earlier = queue.duplicate_of(item)
    if earlier is None or item.answer_id is not None:
        return None
    found = [session.get(Contribution, cid) for cid in sorted((earlier, item.contribution_id))]
    first, second = found
    if first is None or second is None:
        return None
    return Pair(_side(first), _side(second))


def _side(contribution: Contribution) -> Side:
    answers = [(a.question_id, a.value, a.status) for a in contribution.answers]
    return Side(
        contribution_id=contribution.id,
        channel=contribution.channel,
        submitted_at=contribution.submitted_at,
        status=contribution.status,
        assisted_by=contribution.assisted_by,
        answers=sorted(answers, key=lambda answer: answer[0]),
    )


def decide(session: Session, item: Item, action: PairAction, actor: str) -> None:
    """Keep the first, the second or neither of the item's pair, through the core."""
    earlier = queue.duplicate_of(item)
    if earlier is None or item.answer_id is not None:
        raise DecisionRefused(f"item {item.key} is not a pair of possible duplicates")
    first, second = sorted((earlier, item.contribution_id))
    keep, reason = {
        PairAction.KEEP_FIRST: (first, KEPT_FIRST),
        PairAction.KEEP_SECOND: (second, KEPT_SECOND),
        PairAction.REJECT_BOTH: (None, NEITHER_KEPT),
    }[action]
    held = item.contribution_id
    decisions.settle_possible_duplicate(session, held, keep, actor=actor, reason=reason)
