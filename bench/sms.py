"""Signed inbound SMS webhooks per second through the whole stack, against a bare endpoint.

Both servers are real uvicorn processes on 127.0.0.1, fed by the same client in
the same run: 50 residents at once, each texting a whole vote (code, projects,
age band) from a new number, every request signed with the real validator. The
bare side is a FastAPI endpoint that reads the form and returns the same TwiML.
Prints JSON; compare ratio (aim: 0.5 or better) and full p99 (aim: under 100 ms).
Usage: python -m bench.sms [--seconds 5] [--concurrency 50]
(PostgreSQL too when PORTEVOIX_TEST_DATABASE_URL is set; its schema is recreated.)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx
import yaml
from fastapi import FastAPI, Request, Response
from sqlalchemy import text
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from gateway import models  # noqa: F401
from gateway.consultations import repository as consultations
from gateway.consultations.loader import parse_definition
from gateway.store.migrate import upgrade
from gateway.store.session import make_engine, make_sessionmaker
from tests.helpers import BUDGET

TOKEN = "bench-twilio-token-0123456789abcdef"
SECRET = "bench-secret-key-0123456789abcdef0123456789"
PATH = "/sms/twilio/inbound"
CONVERSATION = ["BENCH", "1 4 7", "3"]
_TWIML = str(MessagingResponse().message("1/2 Choisissez jusqu'a 3 projets."))


def bare_app() -> FastAPI:
    """The baseline: FastAPI, a form parsed, a TwiML reply; no signature, no store."""
    app = FastAPI()

    @app.post(PATH)
    async def inbound(request: Request) -> Response:
        await request.form()
        return Response(_TWIML, media_type="application/xml")

    return app


def _prepare(url: str) -> None:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(engine)
    data = yaml.safe_load(BUDGET.read_text(encoding="utf-8"))
    # Open for as long as anyone runs this, whatever the machine's date.
    data |= {
        "code": "BENCH",
        "opens_at": "2000-01-01T00:00:00+00:00",
        "closes_at": "2100-01-01T00:00:00+00:00",
    }
    with make_sessionmaker(engine)() as session, session.begin():
        consultations.save_definition(session, parse_definition(data))
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server(target: str, env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", target, "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    process = subprocess.Popen(command, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.post(base + PATH, data={}, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _load(base: str, public_url: str, seconds: float, concurrency: int) -> dict[str, float]:
    validator = RequestValidator(TOKEN)
    numbers = itertools.count()
    sids = itertools.count()
    latencies: list[float] = []
    failures = 0
    stop_at = time.monotonic() + seconds

    async def resident(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while time.monotonic() < stop_at:
            sender = f"+336{next(numbers):08d}"
            for body in CONVERSATION:
                form = {"MessageSid": f"SM{next(sids):032x}", "From": sender, "To": "+33644630000",
                        "Body": body, "NumMedia": "0", "AccountSid": "AC" + "0" * 32}  # fmt: skip
                headers = {
                    "X-Twilio-Signature": validator.compute_signature(public_url + PATH, form),
                    "Content-Type": "application/x-www-form-urlencoded",
                }
                started = time.perf_counter()
                response = await client.post(base + PATH, content=urlencode(form), headers=headers)
                latencies.append(time.perf_counter() - started)
                failures += response.status_code != 200 or "<Message>" not in response.text

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(resident(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "failures": failures,
        "per_s": round(len(ordered) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
    }


def bench(
    name: str, url: str, data_dir: Path, seconds: float, concurrency: int
) -> dict[str, object]:
    _prepare(url)
    port_public = "https://bench.porte-voix.example"
    env = {
        "PORTEVOIX_ENVIRONMENT": "production",
        "PORTEVOIX_SECRET_KEY": SECRET,
        "PORTEVOIX_DATABASE_URL": url,
        "PORTEVOIX_DATA_DIR": str(data_dir),
        "PORTEVOIX_TWILIO_AUTH_TOKEN": TOKEN,
        "PORTEVOIX_PUBLIC_URL": port_public,
    }
    with _server("bench.sms:bare_app", env) as base:
        bare = asyncio.run(_load(base, port_public, seconds, concurrency))
    with _server("gateway.app:create_app", env) as base:
        full = asyncio.run(_load(base, port_public, seconds, concurrency))
    ratio = full["per_s"] / bare["per_s"]
    return {
        "database": name,
        "concurrency": concurrency,
        "seconds": seconds,
        "bare": bare,
        "full": full,
        "ratio": round(ratio, 3),
        "target": {"ratio": 0.5, "p99_ms": 100},
        "meets_target": ratio >= 0.5 and full["p99_ms"] < 100 and not full["failures"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        results.append(bench("sqlite", url, Path(tmp), args.seconds, args.concurrency))
        pg = os.environ.get("PORTEVOIX_TEST_DATABASE_URL")
        if pg:
            results.append(bench("postgresql", pg, Path(tmp), args.seconds, args.concurrency))
    print(json.dumps({"benchmark": "sms", "results": results}, indent=2))


if __name__ == "__main__":
    main()
