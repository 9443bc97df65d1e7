"""The audit journal for people: filters, export, and who may read it."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from gateway.contributions import reviewed
from gateway.runtime import Runtime
from gateway.staff.models import StaffRole
from tests.mediation.test_review import answer_key, decide, make_reviewer, make_unsure


def test_the_journal_filters_by_who_what_and_contribution(
    store: Runtime, client: TestClient
) -> None:
    first, second = make_unsure(store), make_unsure(store)
    make_reviewer(store, client, "carla", StaffRole.AGENT)
    assert decide(client, answer_key(store, first.contribution_id), "accept").status_code == 303
    page = client.get("/mediation/journal?actor=staff:carla").text
    assert "answer.accepted" in page and "contribution.recorded" not in page
    by_contribution = client.get(f"/mediation/journal?contribution={second.contribution_id}").text
    assert "answer.accepted" not in by_contribution
    assert client.get("/mediation/journal?since=2000-01-01T00:00").status_code == 200


def test_the_export_is_csv_with_each_events_hash(store: Runtime, client: TestClient) -> None:
    unsure = make_unsure(store)
    make_reviewer(store, client, "olga", StaffRole.OBSERVER)
    export = client.get(f"/mediation/journal.csv?contribution={unsure.contribution_id}")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert rows and {row["subject_id"] for row in rows} == {str(unsure.contribution_id)}
    assert all(len(row["hash"]) == 64 for row in rows)


def test_the_journal_is_for_staff_only(store: Runtime, client: TestClient) -> None:
    assert client.get("/mediation/journal").status_code == 303
    assert client.get("/mediation/journal.csv").status_code == 303


def test_answers_decided_are_counted_per_channel(store: Runtime, client: TestClient) -> None:
    accepted, corrected, rejected = make_unsure(store), make_unsure(store), make_unsure(store)
    make_reviewer(store, client, "carla", StaffRole.AGENT)
    assert decide(client, answer_key(store, accepted.contribution_id), "accept").status_code == 303
    key = answer_key(store, corrected.contribution_id)
    assert decide(client, key, "correct", value="toilettes").status_code == 303
    assert decide(client, answer_key(store, rejected.contribution_id), "reject").status_code == 303
    with store.sessions() as session:
        counts = reviewed.per_channel(session)
    assert counts == {"paper": {"accepted": 1, "corrected": 1, "rejected": 1}}
    assert "<td>paper</td><td>1</td><td>1</td><td>1</td>" in client.get("/mediation/journal").text
