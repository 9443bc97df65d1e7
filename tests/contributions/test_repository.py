"""The contributions repository writes answers as the door hands them, on both databases."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql

from gateway.consultations import repository as consultations
from gateway.contributions import repository as contributions
from gateway.runtime import Runtime
from gateway.store.base import utcnow
from gateway.store.models import (
    Answer,
    Contribution,
    ContributionStatus,
    Participant,
    Participation,
)
from tests.helpers import load_examples, make_participant

# PostgreSQL writes the answers from one JSON list, in the contribution's own
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
        written = contributions.insert_contribution(session, row, answers).contribution
        assert written is not None and written.receipt_code == "TEST-0001"
        # Taken: nothing written, answers included.
        again = contributions.insert_contribution(session, row, answers)
        assert again.contribution is None
    with runtime.sessions() as session:
        assert session.scalars(select(Contribution.id)).all() == [written.id]
        stored = session.scalars(select(Answer).order_by(Answer.id)).all()
    assert [
        (a.contribution_id, a.question_id, a.value, a.raw_input, a.confidence) for a in stored
    ] == [
        (written.id, a["question_id"], a["value"], a["raw_input"], a["confidence"]) for a in answers
    ]


def test_a_participant_is_written_with_the_contribution_and_its_claim(runtime: Runtime) -> None:
    load_examples(runtime)
    person = make_participant("+33611111111")
    with runtime.sessions() as session, session.begin():
        version = consultations.version(session, "PARC")
        first = contributions.insert_contribution(
            session, _row(version.id, version.definition_hash, "ext-0001"), [], person, claim=True
        )
        assert first.contribution is not None and first.participant is not None
        assert first.participant.created and first.claimed
        assert first.contribution.participant_id == first.participant.id
        # The same person again: known, and the participation is already held.
        second = contributions.insert_contribution(
            session, _row(version.id, version.definition_hash, "ext-0002"), [], person, claim=True
        )
        assert second.participant == replace(first.participant, created=False)
        assert second.contribution is not None and not second.claimed
        # A clash writes no contribution, but still says who the participant is.
        clash = contributions.insert_contribution(
            session, _row(version.id, version.definition_hash, "ext-0002"), [], person, claim=True
        )
        assert clash.contribution is None and clash.participant == second.participant
    with runtime.sessions() as session:
        assert session.scalars(select(Participant.id)).all() == [first.participant.id]
        held = session.scalars(select(Participation.contribution_id)).all()
        assert held == [first.contribution.id]


def test_a_participant_committed_meanwhile_is_found(runtime: Runtime) -> None:
    # Its row lands after the statement began: the statement cannot see it, and must
    # not write a contribution without its participant.
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: nothing lands meanwhile")
    load_examples(runtime)
    person = make_participant("+33622222222")
    other = runtime.sessions()
    other.execute(
        insert(Participant).values(key_hash=person.key_hash, kind="phone", created_at=utcnow())
    )
    outcome: list[contributions.Written] = []

    def write() -> None:
        with runtime.sessions() as session, session.begin():
            version = consultations.version(session, "PARC")
            row = _row(version.id, version.definition_hash, "ext-0003")
            outcome.append(contributions.insert_contribution(session, row, [], person, claim=True))

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.5)  # the writer now waits on the other transaction's participant
    other.commit()
    other.close()
    writer.join(10)
    with runtime.sessions() as session:
        known = session.scalars(select(Participant.id)).one()
        assert session.scalars(select(Contribution.participant_id)).all() == [known]
    assert outcome[0].participant == contributions.ParticipantRow(known, created=False)
    assert outcome[0].claimed


def test_the_statement_stays_short_enough_to_be_cached() -> None:
    # psycopg parses a longer statement, or one with more parameters, anew on every
    # execution: about a third of a millisecond for this one.
    dialect = postgresql.psycopg.dialect()  # type: ignore[attr-defined]
    keys = tuple(sorted(_row(1, "hash", "ext-0001")))
    for new_person in (False, True):
        for evidence in (False, True):
            statement = contributions._contribution_with_answers(keys, new_person, evidence)
            compiled = statement.compile(dialect=dialect)
            assert len(compiled.string) <= MAX_CACHED_STATEMENT_LENGTH
            assert len(compiled.binds) <= MAX_CACHED_STATEMENT_PARAMS
