"""A scripted reviewer's decisions per minute through the HTTP interface, against /healthz.

Starts from a store in use: M counted contributions already in (free text among
them, which the queue checks for personal data), then N paper contributions a machine
was unsure of. Signs a médiateur in, then decides every item as a reviewer does:
`next`, the item page, accept. Times each decision's round trip (`next`, item page,
decision) and, in the same run, /healthz served by the same app. Prints JSON; aim: a
decision round trip under 100 ms at p99.
Usage: python -m bench.review [--n 200] [--counted 5000]
(PostgreSQL from PORTEVOIX_TEST_DATABASE_URL)
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from statistics import quantiles
from typing import Any

from fastapi.testclient import TestClient

from bench import databases, example_runtime
from gateway.app import create_app
from gateway.clock import set_clock
from gateway.contributions.door import record_intake
from gateway.contributions.intake import DoorPolicy
from gateway.runtime import Runtime
from gateway.staff import service
from gateway.staff.models import StaffRole
from gateway.store.models import AnswerSource, Channel
from tests.helpers import DURING, make_intake

TARGET_P99_MS = 100.0
PASSWORD = "correct horse battery staple 2026"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


IDEAS = ("Plus de bancs à l'ombre", "Des jeux pour les petits", "Moins de voitures le dimanche")


def _runtime(url: str, scratch: Path, n: int, counted: int) -> Runtime:
    runtime = example_runtime(url, scratch)
    with runtime.sessions() as session, session.begin():
        service.create_account(session, "bench", StaffRole.MEDIATEUR, PASSWORD)
        for i in range(counted):
            answers = {"frequentation": "yes", "priorite": "arbres", "satisfaction": 4}
            answers["idee"] = f"{IDEAS[i % 3]} ({i})"
            record_intake(session, make_intake("PARC", answers, channel=Channel.SMS), DoorPolicy())
        for _ in range(n):
            intake = make_intake(channel=Channel.PAPER, source=AnswerSource.OMR, confidence=0.5)
            record_intake(session, intake, DoorPolicy())
    return runtime


def _sign_in(client: TestClient) -> None:
    token = CSRF.search(client.get("/staff/sign-in").text)
    assert token is not None
    form = {"login": "bench", "password": PASSWORD, "csrf_token": token.group(1), "next": ""}
    assert client.post("/staff/sign-in", data=form).status_code == 303


def _decide_next(client: TestClient) -> bool:
    """One decision as a reviewer takes it; False once the queue is empty."""
    location = client.get("/mediation/review/next").headers["location"]
    if not location.startswith("/mediation/review/a"):
        return False
    page = client.get(location)
    token = CSRF.search(page.text)
    assert token is not None, page.status_code
    form = {"csrf_token": token.group(1), "action": "accept"}
    assert client.post(location.split("?")[0], data=form).status_code == 303
    return True


def bench(name: str, url: str, scratch: Path, n: int, counted: int) -> dict[str, Any]:
    runtime = _runtime(url, scratch, n, counted)
    with set_clock(lambda: DURING), TestClient(create_app(runtime=runtime)) as client:
        client.follow_redirects = False
        _sign_in(client)
        decisions, started = _timed(lambda: _decide_next(client))
        minutes = (time.perf_counter() - started) / 60
        health, _ = _timed(lambda: client.get("/healthz").status_code == 200, limit=n)
    runtime.close()
    p99 = _p(decisions, 98)
    return {"database": name, "counted_before": counted, "decisions": len(decisions),
            "decisions_per_minute": round(len(decisions) / minutes),
            "decision_p50_ms": _p(decisions, 49), "decision_p99_ms": p99,
            "healthz_p99_ms": _p(health, 98), "meets_target": p99 < TARGET_P99_MS}  # fmt: skip


def _timed(step: Any, limit: int | None = None) -> tuple[list[float], float]:
    times: list[float] = []
    started = time.perf_counter()
    while limit is None or len(times) < limit:
        start = time.perf_counter()
        if not step():
            break
        times.append((time.perf_counter() - start) * 1000)
    return times, started


def _p(times: list[float], index: int) -> float:
    return round(quantiles(times, n=100, method="inclusive")[index], 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--counted", type=int, default=5000)
    args = parser.parse_args()
    with databases() as found:
        results = [bench(name, url, scratch, args.n, args.counted) for name, url, scratch in found]
    target = {"decision_p99_ms": TARGET_P99_MS}
    print(json.dumps({"benchmark": "review", "target": target, "results": results}, indent=2))


if __name__ == "__main__":
    main()
