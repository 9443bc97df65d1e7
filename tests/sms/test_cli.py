"""`portevoix sms …` as an agent runs it: a real process on a real SQLite store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import BUDGET, PARC

PORTEVOIX = str(Path(sys.executable).parent / "portevoix")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PORTEVOIX_DATA_DIR": str(tmp_path / "var"),
        "PORTEVOIX_DATABASE_URL": "",
        "PORTEVOIX_ENVIRONMENT": "development",
    }
    for args in (
        ["init"],
        ["consultation", "load", str(PARC)],
        ["consultation", "load", str(BUDGET)],
    ):
        _ok(env, *args)
    return env


def _ok(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([PORTEVOIX, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_simulate_a_whole_vote(env: dict[str, str]) -> None:
    def text(body: str) -> str:
        return _ok(env, "sms", "simulate", "--from", "+33612345678", body)

    assert "1/2 Choisissez jusqu'a 3 projets" in text("BUDGET")
    assert "2/2" in text("2 5")
    assert "Votre code de recu" in text("4")
    assert "Vous avez déjà participé à BUDGET" in text("budget")
    results = _ok(env, "results", "BUDGET")
    assert "counted by channel: sms: 1" in results


def test_check_lists_messages_over_one_segment(env: dict[str, str]) -> None:
    out = _ok(env, "sms", "check", "BUDGET")
    assert "[fr] question projets: 2 segments, GSM-7" in out
    assert "tranche-age" not in out and "intro" not in out  # fit once accents go


def test_invite_queues_and_reports(env: dict[str, str], tmp_path: Path) -> None:
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("phone\n06 12 34 56 78\n0612345678\nnot a number\n", encoding="utf-8")
    out = _ok(env, "sms", "invite", "PARC", "--numbers", str(numbers))
    assert out.startswith("queued 1, already queued 1, opted out 0, not a phone number 1")


def test_simulate_refuses_bytes_that_are_not_utf8_in_one_line(env: dict[str, str]) -> None:
    # Python reads such argv bytes as lone surrogates (PEP 383).
    done = subprocess.run(
        [PORTEVOIX, "sms", "simulate", b"PARC\xff"], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "error: the text to send: not valid Unicode: lone surrogate U+DCFF\n"
    )
