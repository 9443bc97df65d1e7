"""Intakes per second through the one door against a bare insert of the same rows.

Each side commits once per intake, as a channel does. Prints JSON; the ratio
door/bare is what to compare across machines (aim: 1/3 or better).
Usage: python -m bench.intake [--n 400]   (PostgreSQL from PORTEVOIX_TEST_DATABASE_URL)
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
from collections.abc import Callable

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session, sessionmaker

from bench import databases
from gateway import models  # noqa: F401
from gateway.consultations import repository as consultations
from gateway.consultations.loader import load_definition
from gateway.contributions.door import record_intake
from gateway.contributions.intake import DoorPolicy, Intake, ParticipantRef
from gateway.identity import participant_key
from gateway.store.base import utcnow
from gateway.store.migrate import upgrade
from gateway.store.models import Answer, AuditEvent, Contribution, Participant, Participation
from gateway.store.session import make_engine, make_sessionmaker
from tests.helpers import BUDGET, make_intake

ANSWER = ["bancs", "eclairage"]


def _prepare(url: str) -> tuple[Engine, int]:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as session, session.begin():
        consultation, _ = consultations.save_definition(session, load_definition(BUDGET))
        consultation_id = consultation.id
    return engine, consultation_id


def _person(i: int) -> ParticipantRef:
    return ParticipantRef("phone", participant_key("phone", f"+3361000{i:04d}", b"bench"))


def run_door(url: str, n: int) -> float:
    engine, _ = _prepare(url)
    sessions = make_sessionmaker(engine)
    intakes = [make_intake(answers={"projets": ANSWER}, participant=_person(i)) for i in range(n)]
    policy = DoorPolicy()
    return _rate(n, lambda i: _door_once(sessions, intakes[i], policy))


def _door_once(sessions: sessionmaker[Session], intake: Intake, policy: DoorPolicy) -> None:
    with sessions() as session, session.begin():
        record_intake(session, intake, policy)


def run_bare(url: str, n: int) -> float:
    engine, consultation_id = _prepare(url)

    def once(i: int) -> None:
        with engine.begin() as connection:
            person = _person(i)
            participant_id = connection.execute(
                insert(Participant)
                .values(key_hash=person.key_hash, kind="phone", created_at=utcnow())
                .returning(Participant.id)
            ).scalar_one()
            contribution_id = connection.execute(
                insert(Contribution)
                .values(
                    consultation_id=consultation_id,
                    participant_id=participant_id,
                    channel="online",
                    external_id=f"bare-{i}",
                    status="counted",
                    receipt_code=secrets.token_hex(4),
                    language="fr",
                    definition_hash="x",
                    submitted_at=utcnow(),
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
                .returning(Contribution.id)
            ).scalar_one()
            connection.execute(
                insert(Answer).values(
                    contribution_id=contribution_id,
                    question_id="projets",
                    value=ANSWER,
                    raw_input=str(ANSWER),
                    source="typed",
                    confidence=1.0,
                    status="valid",
                )
            )
            connection.execute(
                insert(Participation).values(
                    consultation_id=consultation_id,
                    participant_id=participant_id,
                    contribution_id=contribution_id,
                )
            )
            connection.execute(
                insert(AuditEvent).values(
                    at=utcnow(),
                    actor="bench",
                    action="contribution.recorded",
                    subject_type="contribution",
                    subject_id=str(contribution_id),
                    payload={},
                    prev_hash=secrets.token_hex(32),
                    hash=secrets.token_hex(32),
                )
            )

    return _rate(n, once)


def _rate(n: int, once: Callable[[int], None]) -> float:
    start = time.perf_counter()
    for i in range(n):
        once(i)
    return n / (time.perf_counter() - start)


def bench(name: str, url: str, n: int) -> dict[str, object]:
    bare = run_bare(url, n)
    door = run_door(url, n)
    return {
        "database": name,
        "intakes": n,
        "bare_per_s": round(bare, 1),
        "door_per_s": round(door, 1),
        "ratio": round(door / bare, 3),
        "target_ratio": 0.333,
        "meets_target": door / bare >= 1 / 3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=400)
    args = parser.parse_args()
    with databases() as found:
        results = [bench(database, url, args.n) for database, url, _ in found]
    print(json.dumps({"benchmark": "intake", "results": results}, indent=2))


if __name__ == "__main__":
    main()
