"""A small dataset mixing every channel, with expectations computed by hand in the tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.contributions.decisions import change_status
from gateway.runtime import Runtime
from gateway.store.models import AnswerSource as S
from gateway.store.models import Channel as C
from gateway.store.models import Contribution, ContributionStatus
from tests.helpers import load_examples, make_intake, record


def _dec(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


# (channel, source, confidence, UTC time, priorite, satisfaction, tranche-age, quartier)
ROWS: list[tuple[C, S, float, datetime, str, int, str, str]] = [
    (C.ONLINE, S.TYPED, 1.0, _dec(1, 12, 0), "jeux", 4, "18-29", "centre"),
    # 23:30 UTC is 00:30 the next day in Paris: a day of the commune, not of UTC.
    (C.ONLINE, S.TYPED, 1.0, _dec(1, 23, 30), "arbres", 2, "30-59", "centre"),
    (C.SMS, S.SMS, 1.0, _dec(2, 10, 0), "arbres", 5, "60-plus", "tilleuls"),
    (C.PAPER, S.OMR, 0.97, _dec(2, 11, 0), "bancs", 3, "60-plus", "gare"),
    (C.IVR, S.DTMF, 1.0, _dec(3, 9, 0), "bancs", 4, "60-plus", "tilleuls"),
    (C.KIOSK, S.TOUCH, 1.0, _dec(3, 15, 0), "jeux", 5, "moins-18", "champ-fleuri"),
    (C.ONLINE, S.TYPED, 1.0, _dec(1, 14, 0), "jeux", 5, "30-59", "centre"),
    # Read by a machine below the threshold: awaits a médiateur.
    (C.PAPER, S.OMR, 0.5, _dec(3, 16, 0), "eclairage", 1, "30-59", "gare"),
    # Sent to review, then rejected by a médiateur.
    (C.PAPER, S.OMR, 0.4, _dec(3, 17, 0), "arbres", 1, "18-29", "gare"),
]  # fmt: skip


def seed(runtime: Runtime) -> None:
    load_examples(runtime)
    ids = [record(runtime, make_intake("PARC", _answers(row), channel=row[0], source=row[1],
                                       confidence=row[2], received_at=row[3])).contribution_id
           for row in ROWS]  # fmt: skip
    with runtime.sessions() as session, session.begin():
        rejected = session.get(Contribution, ids[-1])
        assert rejected is not None
        change_status(session, rejected, ContributionStatus.REJECTED, "not a form", "mia")


def _answers(row: tuple[Any, ...]) -> dict[str, Any]:
    _channel, _source, _confidence, _at, priorite, satisfaction, age, quartier = row
    return {
        "frequentation": "yes",
        "priorite": priorite,
        "satisfaction": satisfaction,
        "tranche-age": age,
        "quartier": quartier,
    }
