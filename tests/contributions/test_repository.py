"""The contributions repository writes answers as the door hands them, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from gateway.consultations import repository as consultations
from gateway.contributions import repository as contributions
from gateway.runtime import Runtime
from gateway.store.base import utcnow
from gateway.store.models import Answer, Contribution, ContributionStatus
from tests.helpers import load_examples

# PostgreSQL writes the answers from one array per column, in the contribution's own
# INSERT: values of every JSON shape must come back as they went in.
VALUES: list[Any] = [
    "bancs", ["bancs", "jeux"], 3, 2.5, None, True, {"x": [1, "é"]}, 'guillemets "et" \\', "",
    "emoji 🙂 et accents éàç",
]  # fmt: skip


def _row(consultation_id: int, definition_hash: str, external_id: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "consultation_id": consultation_id, "participant_id": None, "channel": "online",
        "external_id": external_id, "fingerprint": None, "status": ContributionStatus.COUNTED,
        "status_reason": None, "receipt_code": f"TEST-{external_id[-4:]:0>4}",
        "language": "fr", "assisted_by": None, "definition_hash": definition_hash,
        "submitted_at": now, "created_at": now, "updated_at": now,
    }  # fmt: skip


@pytest.mark.parametrize("count", [0, 1, len(VALUES)])
def test_answers_are_written_with_their_contribution_as_given(runtime: Runtime, count: int) -> None:
    load_examples(runtime)
    answers = [
        {"question_id": f"q{n}", "value": value, "raw_input": None if n % 2 else f"« {value} »",
         "source": "typed", "confidence": 1.0 if n % 3 else 0.75, "status": "valid",
         "status_reason": None}
        for n, value in enumerate(VALUES[:count])
    ]  # fmt: skip
    with runtime.sessions() as session, session.begin():
        version = consultations.version(session, "PARC")
        row = _row(version.id, version.definition_hash, "ext-0001")
        written = contributions.insert_contribution(session, row, answers)
        assert written is not None and written.receipt_code == "TEST-0001"
        # Taken: nothing written, answers included.
        again = contributions.insert_contribution(session, row, answers)
        assert again is None
    with runtime.sessions() as session:
        assert session.scalars(select(Contribution.id)).all() == [written.id]
        stored = session.scalars(select(Answer).order_by(Answer.id)).all()
    assert [
        (a.contribution_id, a.question_id, a.value, a.raw_input, a.confidence) for a in stored
    ] == [
        (written.id, a["question_id"], a["value"], a["raw_input"], a["confidence"]) for a in answers
    ]
