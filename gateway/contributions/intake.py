"""What every channel hands over to the door, and what it gets back.

A channel that can be sent a different body under an id it already used (the
online API) passes a fingerprint, so that the door refuses the new body instead
of replaying the old receipt.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from gateway.errors import PortevoixError
from gateway.evidence import EvidenceStore
from gateway.store.models import AnswerSource, Channel, ContributionStatus


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
    # Why the channel doubts the whole intake (an imported row that looks like a
    # duplicate of another): the door records it for a médiateur instead of counting it.
    hold_for_review: str | None = None


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
    """What the door needs from the operator; the definition may tighten the settings.

    `evidence` is the store the intakes' blobs were put in: the door deletes there
    the blobs of an intake it does not record, so an intake with evidence needs it.
    """

    review_confidence_threshold: float = 0.8
    evidence_retention: timedelta = timedelta(days=180)
    evidence: EvidenceStore | None = None


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
