"""The development chat page goes through the real engine, and only in development."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.results.tally import tally
from tests.sms.conftest import Clock, make_sms_runtime


def test_chat_page_runs_a_whole_vote(tmp_path: Path, sqlite_url: str, clock: Clock) -> None:
    runtime = make_sms_runtime(tmp_path, sqlite_url, environment="development")
    with TestClient(create_app(runtime=runtime)) as client:
        assert "<form" in client.get("/sms/simulator").text
        replies = []
        for body in ("budget", "2 5", "4"):
            response = client.post("/sms/simulator", json={"from": "+33611223344", "body": body})
            assert response.status_code == 200
            replies = response.json()["replies"]
    assert "recu" in replies[-1]
    with runtime.sessions() as session:
        counts = tally(session, "BUDGET").questions[0].counts
    assert counts["pistes-cyclables"] == 1 and counts["toilettes"] == 1
    runtime.close()


def test_chat_page_is_hidden_outside_development(tmp_path: Path, sqlite_url: str) -> None:
    runtime = make_sms_runtime(tmp_path, sqlite_url)
    with TestClient(create_app(runtime=runtime)) as client:
        assert client.get("/sms/simulator").status_code == 404
        sent = client.post("/sms/simulator", json={"from": "+33611223344", "body": "budget"})
        assert sent.status_code == 404
    runtime.close()
