"""Tallies and inclusion indicators against a bare COUNT … GROUP BY of the same data.

Seeds N counted contributions of the PARC example (5 answers each, every channel, a
spread of days) with bulk inserts, then times `tally()` (tallies, ranking, inclusion,
per day, method) and the bare grouped count of the answers. Prints JSON; the ratio
tally/bare is what to compare across machines (aim: within 3x; under 2 s on PostgreSQL).
Usage: python -m bench.results [--n 1000000]   (PostgreSQL from PORTEVOIX_TEST_DATABASE_URL)
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Text, cast, func, insert, select, text

from bench import databases
from gateway import models  # noqa: F401
from gateway.consultations import repository as consultations
from gateway.consultations.loader import load_definition
from gateway.contributions import counts
from gateway.results.repository import scan
from gateway.results.tally import tally
from gateway.store.migrate import upgrade
from gateway.store.models import Answer, Contribution
from gateway.store.session import make_engine, make_sessionmaker
from tests.helpers import PARC

CHANNELS = ["online", "online", "sms", "ivr", "kiosk", "paper"]
CHUNK = 20_000
START = datetime(2026, 12, 1, 8, tzinfo=UTC)


def _prepare(url: str) -> tuple[Engine, int]:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        consultation, _ = consultations.save_definition(session, load_definition(PARC))
        return engine, consultation.id


def seed(engine: Engine, consultation_id: int, n: int) -> None:
    pick = random.Random(11)
    for first in range(0, n, CHUNK):
        ids = range(first + 1, min(first + CHUNK, n) + 1)
        with engine.begin() as connection:
            connection.execute(
                insert(Contribution), [_contribution(i, consultation_id, pick) for i in ids]
            )
            connection.execute(insert(Answer), [a for i in ids for a in _answers(i, pick)])


def _contribution(i: int, consultation_id: int, pick: random.Random) -> dict[str, Any]:
    at = START + timedelta(minutes=pick.randrange(60 * 24 * 40))
    return {
        "id": i, "consultation_id": consultation_id, "channel": pick.choice(CHANNELS),
        "external_id": f"b{i}", "status": "counted" if i % 50 else "review",
        "receipt_code": f"R{i}", "language": "fr", "definition_hash": "x",
        "submitted_at": at, "created_at": at, "updated_at": at,
    }  # fmt: skip


def _answers(i: int, pick: random.Random) -> list[dict[str, Any]]:
    values = {
        "frequentation": pick.choice(["yes", "no"]),
        "priorite": pick.choice(["arbres", "jeux", "bancs", "eclairage"]),
        "satisfaction": pick.randint(1, 5),
        "tranche-age": pick.choice(["moins-18", "18-29", "30-59", "60-plus"]),
        "quartier": pick.choice(["centre", "tilleuls", "champ-fleuri", "gare", "autre"]),
    }
    return [
        {"contribution_id": i, "question_id": q, "value": v, "raw_input": None,
         "source": "typed", "confidence": 1.0, "status": "valid"}
        for q, v in values.items()
    ]  # fmt: skip


def _rebuild_counts(engine: Engine, consultation_id: int) -> None:
    with make_sessionmaker(engine)() as session, session.begin():
        counts.rebuild(session, consultation_id, ["idee"])


def _timed(run: Any) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def bench(name: str, url: str, n: int) -> dict[str, object]:
    engine, consultation_id = _prepare(url)
    seeding = _timed(lambda: seed(engine, consultation_id, n))
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    # The bulk seed bypassed the door, which keeps the counts the tally reads: recount them.
    rebuilding = _timed(lambda: _rebuild_counts(engine, consultation_id))
    bare_query = (
        select(Contribution.channel, Answer.question_id, cast(Answer.value, Text), func.count())
        .join(Answer, Answer.contribution_id == Contribution.id)
        .where(Contribution.consultation_id == consultation_id)
        .group_by(Contribution.channel, Answer.question_id, cast(Answer.value, Text))
    )
    with make_sessionmaker(engine)() as session:
        bare = min(_timed(lambda: session.execute(bare_query).all()) for _ in range(3))
        full = min(_timed(lambda: tally(session, "PARC")) for _ in range(3))
        # Where the time goes: reading the counts the tally is made of.
        scans = min(_timed(lambda: scan(session, consultation_id)) for _ in range(3))
    engine.dispose()
    return {
        "database": name, "contributions": n, "answers": n * 5,
        "seed_s": round(seeding, 1), "count_rebuild_s": round(rebuilding, 2),
        "bare_group_by_s": round(bare, 3), "tally_s": round(full, 3),
        "of_which_reading_counts_s": round(scans, 3),
        "ratio": round(full / bare, 2), "target_ratio": 3.0, "meets_target": full / bare <= 3,
        "target_s": 2.0, "meets_time": full <= 2.0,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    with databases() as found:
        results = [bench(database, url, args.n) for database, url, _ in found]
    print(json.dumps({"benchmark": "results", "results": results}, indent=2))


if __name__ == "__main__":
    main()
