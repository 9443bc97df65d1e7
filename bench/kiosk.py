"""Server time and weight of every kiosk page of a whole questionnaire, against a bare page.

Goes through the PARC questionnaire (7 questions of every type, summary, send,
receipt) N times in-process, timing each request, and in the same run a bare Jinja2
page (a heading and a one-field form) served by the same app. Each page's bytes are
its HTML plus the style sheets and scripts it links (no images: the kiosk has none).
Prints JSON; aim: every page under 50 KB and under 20 ms of server time at p99.
Usage: python -m bench.kiosk [--n 100]   (PostgreSQL from PORTEVOIX_TEST_DATABASE_URL)
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from statistics import quantiles
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from jinja2 import Environment

from bench import databases, example_runtime
from gateway.app import create_app
from gateway.clock import set_clock
from gateway.kiosk import service
from tests.helpers import DURING

TARGET_BYTES = 50_000
TARGET_P99_MS = 20.0
BARE = Environment(autoescape=True).from_string(
    '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{{ title }}</title>'
    '</head><body><main><h1>{{ title }}</h1><form method="post"><label for="a">{{ label }}'
    '</label><input id="a" name="a"><button>{{ button }}</button></form></main></body></html>'
)
ANSWERS = [
    ("frequentation", ["yes"]),
    ("priorite", ["eclairage"]),
    ("satisfaction", ["4"]),
    ("visites", ["2"]),
    ("idee", ["Plus d'arbres près des jeux, et des bancs à l'ombre."]),
    ("tranche-age", ["30-59"]),
    ("quartier", ["gare"]),
]
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


class Timer:
    """Each request's time and each page's weight, by page name."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.times: dict[str, list[float]] = defaultdict(list)
        self.bytes: dict[str, int] = {}

    def __call__(self, name: str, call: Callable[[], httpx.Response]) -> httpx.Response:
        start = time.perf_counter()
        response = call()
        self.times[name].append((time.perf_counter() - start) * 1000)
        assert response.status_code in (200, 303), (name, response.status_code)
        if response.status_code == 200 and name not in self.bytes:
            self.bytes[name] = len(response.content) + self._assets(response.text)
        return response

    def _assets(self, html: str) -> int:
        return sum(len(self.client.get(path).content) for path in set(ASSET.findall(html)))


def _bare_app(app: FastAPI) -> None:
    @app.get("/bench/bare")
    def bare() -> HTMLResponse:
        return HTMLResponse(BARE.render(title="Question", label="Votre réponse", button="Suivant"))


def one_pass(timer: Timer, base: str) -> None:
    """Home, start, every question (page and answer), summary, send, receipt, end."""
    client = timer.client
    timer("home", lambda: client.get(base))
    timer("start (post)", lambda: client.post(f"{base}/start", data={"code": "PARC"}))
    for number, (question, values) in enumerate(ANSWERS, 1):
        timer(f"question {number}", lambda: client.get(f"{base}/question"))
        form = {"question": question, "answer": values, "action": "next"}
        timer("answer (post)", lambda form=form: client.post(f"{base}/answer", data=form))
    timer("summary", lambda: client.get(f"{base}/summary"))
    timer("send (post)", lambda: client.post(f"{base}/summary", data={"action": "send"}))
    timer("receipt", lambda: client.get(f"{base}/receipt"))
    timer("end (post)", lambda: client.post(f"{base}/end"))
    timer("bare jinja2 page", lambda: client.get("/bench/bare"))


def bench(name: str, url: str, scratch: Path, n: int) -> dict[str, Any]:
    runtime = example_runtime(url, scratch)
    with runtime.sessions() as session, session.begin():
        kiosk_id = service.register(session, "bench", "Mairie").id
    app = create_app(runtime=runtime)
    _bare_app(app)
    with set_clock(lambda: DURING), TestClient(app, follow_redirects=False) as client:
        timer = Timer(client)
        one_pass(timer, f"/kiosk/{kiosk_id}")  # warm-up: templates compiled, pools filled
        timer.times.clear()
        for _ in range(n):
            one_pass(timer, f"/kiosk/{kiosk_id}")
    runtime.close()
    return _report(name, n, timer)


def _report(name: str, n: int, timer: Timer) -> dict[str, Any]:
    pages = {page: _stats(times, timer.bytes.get(page)) for page, times in timer.times.items()}
    bare = pages.pop("bare jinja2 page")
    worst_p99 = max(p["p99_ms"] for p in pages.values())
    heaviest = max(p["bytes"] or 0 for p in pages.values())
    return {
        "database": name,
        "passes": n,
        "pages": pages,
        "bare_jinja2_page": bare,
        "worst_p99_ms": worst_p99,
        "worst_p99_vs_bare_p99": round(worst_p99 / bare["p99_ms"], 1),
        "heaviest_bytes": heaviest,
        "meets_target": worst_p99 < TARGET_P99_MS and heaviest < TARGET_BYTES,
    }


def _stats(times: list[float], size: int | None) -> dict[str, Any]:
    cuts = quantiles(times, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49], 2), "p99_ms": round(cuts[98], 2), "bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args()
    with databases() as found:
        results = [bench(database, url, scratch, args.n) for database, url, scratch in found]
    target = {"bytes": TARGET_BYTES, "p99_ms": TARGET_P99_MS}
    print(json.dumps({"benchmark": "kiosk", "target": target, "results": results}, indent=2))


if __name__ == "__main__":
    main()
