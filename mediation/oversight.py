"""Assisted participation, overseen: what each médiateur recorded, and bursts worth a look.

A médiateur helping residents at a kiosk records their answers for them. Many such
contributions in a few minutes is not how helping someone goes, so a burst is
listed and an agent can send its contributions back to review.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.contributions import decisions
from gateway.store.models import Consultation, Contribution, ContributionStatus

BURST_WINDOW = timedelta(minutes=10)
# Helping one resident takes minutes: more than this many within the window is a burst.
BURST_SIZE = 5
BURST_REASON = "many assisted contributions in a few minutes"


@dataclass(frozen=True)
class Assisted:
    contribution_id: int
    helper: str
    consultation: str
    at: datetime
    status: str


@dataclass(frozen=True)
class Burst:
    helper: str
    contribution_ids: tuple[int, ...]
    start: datetime
    end: datetime


def assisted(session: Session) -> list[Assisted]:
    """Every assisted contribution, by helper then time."""
    query = (
        select(
            Contribution.id,
            Contribution.assisted_by,
            Consultation.code,
            Contribution.submitted_at,
            Contribution.status,
        )
        .join(Consultation, Contribution.consultation_id == Consultation.id)
        .where(Contribution.assisted_by.is_not(None))
        .order_by(Contribution.assisted_by, Contribution.submitted_at, Contribution.id)
    )
    return [Assisted(cid, helper or "", code, at, status)
            for cid, helper, code, at, status in session.execute(query).all()]  # fmt: skip


def per_hour(rows: list[Assisted]) -> Counter[tuple[str, str, str]]:
    """Counts per helper, consultation and hour (UTC)."""
    return Counter((r.helper, r.consultation, r.at.strftime("%Y-%m-%d %H:00")) for r in rows)


def bursts(rows: list[Assisted]) -> list[Burst]:
    """Each helper's runs of more than BURST_SIZE contributions within BURST_WINDOW."""
    found: list[Burst] = []
    for helper in dict.fromkeys(r.helper for r in rows):
        mine = [r for r in rows if r.helper == helper]
        start = 0
        for end, row in enumerate(mine):
            while row.at - mine[start].at > BURST_WINDOW:
                start += 1
            if end - start + 1 > BURST_SIZE:
                _extend(found, helper, mine[start : end + 1])
    return found


def _extend(found: list[Burst], helper: str, run: list[Assisted]) -> None:
    ids = tuple(r.contribution_id for r in run)
    last = found[-1] if found else None
    if last is not None and last.helper == helper and set(last.contribution_ids) & set(ids):
        merged = tuple(dict.fromkeys((*last.contribution_ids, *ids)))
        found[-1] = Burst(helper, merged, last.start, run[-1].at)
    else:
        found.append(Burst(helper, ids, run[0].at, run[-1].at))


def send_bursts_to_review(session: Session, actor: str) -> int:
    """Send the counted contributions of every burst back to review; return how many."""
    rows = assisted(session)
    counted = {r.contribution_id for r in rows if r.status == ContributionStatus.COUNTED}
    sent = 0
    for burst in bursts(rows):
        for contribution_id in burst.contribution_ids:
            if contribution_id in counted:
                decisions.decide_status(session, contribution_id, ContributionStatus.REVIEW,
                                        actor=actor, reason=BURST_REASON)  # fmt: skip
                counted.discard(contribution_id)
                sent += 1
    return sent
