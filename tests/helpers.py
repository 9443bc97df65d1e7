"""Small make_* helpers shared by the tests."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

from sqlalchemy import select

from gateway.consultations import repository as consultations
from gateway.consultations.loader import load_definition
from gateway.contributions import counts
from gateway.contributions.door import record_intake
from gateway.contributions.intake import AnswerIn, DoorPolicy, Intake, IntakeResult, ParticipantRef
from gateway.identity import participant_key
from gateway.runtime import Runtime
from gateway.store.models import AnswerSource, Channel, Consultation

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BUDGET = EXAMPLES / "budget-participatif.yaml"
PARC = EXAMPLES / "concertation-parc.yaml"
DURING = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
_ids = count(1)


def load_examples(runtime: Runtime) -> None:
    with runtime.sessions() as session, session.begin():
        for path in (BUDGET, PARC):
            consultations.save_definition(session, load_definition(path), str(path))


def make_participant(value: str, kind: str = "phone") -> ParticipantRef:
    return ParticipantRef(kind=kind, key_hash=participant_key(kind, value, b"test-secret"))


def make_intake(
    code: str = "BUDGET",
    answers: dict[str, Any] | None = None,
    *,
    channel: Channel = Channel.ONLINE,
    external_id: str | None = None,
    participant: ParticipantRef | None = None,
    source: AnswerSource = AnswerSource.TYPED,
    confidence: float = 1.0,
    **extra: Any,
) -> Intake:
    answers = {"projets": ["bancs"]} if answers is None else answers
    return Intake(
        consultation_code=code,
        channel=channel,
        external_id=external_id or f"ext-{next(_ids)}",
        answers=[
            AnswerIn(q, v, raw=str(v), source=source, confidence=confidence)
            for q, v in answers.items()
        ],
        participant=participant,
        received_at=extra.pop("received_at", DURING),
        **extra,
    )


def record(runtime: Runtime, intake: Intake, policy: DoorPolicy | None = None) -> IntakeResult:
    with runtime.sessions() as session, session.begin():
        return record_intake(session, intake, policy or DoorPolicy(evidence=runtime.evidence))


def assert_counts_match_recount(runtime: Runtime) -> None:
    """The counts the core keeps equal a full recount, for every consultation."""
    with runtime.sessions() as session:
        for consultation in session.scalars(select(Consultation)):
            ungrouped = counts.free_text(consultations.definition_of(consultation))
            kept = counts.read(session, consultation.id)
            fresh = counts.recount(session, consultation.id, ungrouped)
            assert _by_key(kept.contributions) == _by_key(fresh.contributions)
            assert _by_key(kept.answers) == _by_key(fresh.answers)


def _by_key(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], int]:
    return {tuple(v for k, v in sorted(row.items()) if k != "count"): row["count"] for row in rows}
