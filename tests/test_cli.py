"""The `portevoix` command as an agent runs it: real processes, real server."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import BUDGET, PARC

PORTEVOIX = str(Path(sys.executable).parent / "portevoix")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PORTEVOIX_DATA_DIR": str(tmp_path / "var"),
        "PORTEVOIX_DATABASE_URL": "",
        "PORTEVOIX_ENVIRONMENT": "development",
    }


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PORTEVOIX, *args], env=env, capture_output=True, text=True, timeout=120)


def ok(env: dict[str, str], *args: str) -> str:
    done = run(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(env: dict[str, str], log: Path, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [PORTEVOIX, *args, "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"portevoix {args[0]} did not start:\n{log.read_text()}")


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    ok(env, "init")
    ok(env, "consultation", "load", str(BUDGET))
    process, base = _start(env, tmp_path / "serve.log", "serve")
    yield base
    process.terminate()
    process.wait(timeout=30)


def test_demo_serves_the_examples(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "demo.log"
    process, base = _start(env, log, "demo")
    try:
        codes = [c["code"] for c in httpx.get(f"{base}/api/v1/consultations").json()]
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert codes == ["BUDGET", "PARC"]
    assert "online API" in log.read_text()


def test_online_contribution_shows_in_results(env: dict[str, str], server: str) -> None:
    token = ok(env, "tokens", "create", "site-web").strip()
    assert token.startswith("pv_")
    body = {
        "external_id": "42",
        "participant": {"id": "alice"},
        "answers": {"projets": ["aire-jeux", "eclairage"]},
    }
    response = httpx.post(
        f"{server}/api/v1/consultations/budget/contributions",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    tally = json.loads(ok(env, "results", "BUDGET", "--format", "json"))
    assert tally["questions"][0]["counts"]["aire-jeux"] == 1
    assert tally["counted_by_channel"] == {"online": 1}
    table = ok(env, "results", "BUDGET")
    assert "aire-jeux" in table and "online 1" in table
    assert "audit chain intact" in ok(env, "audit", "verify")


def test_only_a_token_with_the_scope_speaks_for_a_phone(env: dict[str, str], server: str) -> None:
    tokens = {
        "partner": ok(env, "tokens", "create", "partner", "--scope", "verified-phone"),
        "site": ok(env, "tokens", "create", "site"),
    }
    statuses = {}
    for name, token in tokens.items():
        body = {
            "external_id": "1",
            "participant": {"kind": "phone", "id": "06 39 98 77 33"},
            "answers": {"projets": ["bancs"]},
        }
        response = httpx.post(
            f"{server}/api/v1/consultations/BUDGET/contributions",
            json=body,
            headers={"Authorization": f"Bearer {token.strip()}"},
        )
        statuses[name] = response.status_code
    assert statuses == {"partner": 201, "site": 403}


def test_load_list_export(env: dict[str, str], tmp_path: Path) -> None:
    ok(env, "init")
    assert ok(env, "consultation", "load", str(PARC)).strip() == "PARC: loaded as version 1"
    assert "unchanged" in ok(env, "consultation", "load", str(PARC))
    assert "Le nouveau parc des Tilleuls" in ok(env, "consultation", "list")
    out = tmp_path / "parc.csv"
    ok(env, "export", "PARC", "--format", "csv", "--out", str(out))
    assert out.read_text().startswith("contribution_id,participant,channel,status")
    tallies = tmp_path / "parc-tallies.csv"
    ok(env, "export", "PARC", "--what", "tallies", "--out", str(tallies))
    assert tallies.read_text().startswith("question_id,option,label,channel,counted")
    assert "error: unknown export 'votes'" in run(env, "export", "PARC", "--what", "votes",
                                                  "--out", str(tallies)).stderr  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["results", "NOPE"], "error: no consultation with code 'NOPE'"),
        (["consultation", "load", "missing.yaml"], "error: missing.yaml: no such file"),
        (["results", "PARC", "--format", "xml"], "error: unknown format 'xml'"),
        (["tokens", "create", "site:web"], "error: token name 'site:web': use 1 to 64"),
        (
            ["tokens", "create", "site", "--scope", "verified-phone,phone"],
            "error: unknown scope 'phone': known scopes are verified-phone",
        ),
    ],
)
def test_user_mistakes_get_one_line(env: dict[str, str], args: list[str], message: str) -> None:
    ok(env, "init")
    ok(env, "consultation", "load", str(PARC))
    done = run(env, *args)
    assert done.returncode == 1
    assert done.stderr.strip() == message or done.stderr.startswith(message)
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_bad_definition_file(env: dict[str, str], tmp_path: Path) -> None:
    ok(env, "init")
    bad = tmp_path / "bad.yaml"
    bad.write_text(BUDGET.read_text().replace("max_choices: 3", "max_choices: 12"))
    shutil.copy(BUDGET.parent / "population-exemple.csv", tmp_path)
    done = run(env, "consultation", "load", str(bad))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "bad.yaml: questions[0] (projets): min_choices (1) and max_choices (12)" in done.stderr


def test_store_not_initialised(env: dict[str, str]) -> None:
    done = run(env, "consultation", "list")
    assert done.returncode == 1 and "run: portevoix init" in done.stderr


def test_default_secret_refused_outside_development(env: dict[str, str]) -> None:
    env = {**env, "PORTEVOIX_ENVIRONMENT": "production"}
    env.pop("PORTEVOIX_SECRET_KEY", None)
    done = run(env, "init")
    assert done.returncode == 1 and "PORTEVOIX_SECRET_KEY must be set" in done.stderr


def test_doctor_names_what_is_missing(env: dict[str, str]) -> None:
    done = run(env, "doctor")
    assert done.returncode == 1
    assert (
        "missing: database schema (at nothing" in done.stdout
        and "run: portevoix init" in done.stdout
    )
    ok(env, "init")
    done = run(env, "doctor")
    assert "store      core, ready" in done.stdout
    assert "online     enabled, NOT READY" in done.stdout
    assert "portevoix tokens create NAME" in done.stdout


def test_unknown_channel_is_refused_at_start(env: dict[str, str]) -> None:
    done = run({**env, "PORTEVOIX_CHANNELS": '["sms", "fax"]'}, "init")
    assert done.returncode == 1
    assert "unknown channel 'fax'; known channels: online, sms" in done.stderr
