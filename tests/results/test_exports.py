"""Exports: pseudonyms drawn per export, tallies in CSV and JSON, all against the open schema."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from gateway.app import create_app
from gateway.results.export import contribution_schema, tally_to_csv, tally_to_json, to_csv, to_json
from gateway.results.tally import tally
from gateway.runtime import Runtime
from tests.helpers import make_intake, make_participant, record
from tests.results.seed import seed

BASE = {"frequentation": "yes", "priorite": "jeux", "satisfaction": 4}


@pytest.fixture
def seeded(runtime: Runtime) -> Runtime:
    seed(runtime)
    return runtime


def _validator() -> Draft202012Validator:
    return Draft202012Validator(contribution_schema(), format_checker=FormatChecker())


def test_the_schema_is_valid_and_served(sqlite_runtime: Runtime) -> None:
    Draft202012Validator.check_schema(contribution_schema())
    with TestClient(create_app(runtime=sqlite_runtime)) as client:
        served = client.get("/schema/contribution.json")
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/schema+json"
    assert served.json() == contribution_schema()


def test_every_exported_contribution_fits_the_schema(seeded: Runtime) -> None:
    with seeded.sessions() as session:
        exported = json.loads(to_json(session, "PARC"))["contributions"]
    assert len(exported) == 9
    assert {c["channel"] for c in exported} == {"online", "sms", "ivr", "kiosk", "paper"}
    assert {c["status"] for c in exported} == {"counted", "review", "rejected"}
    validator = _validator()
    for contribution in exported:
        validator.validate(contribution)


def test_the_schema_refuses_what_an_export_must_not_hold(seeded: Runtime) -> None:
    with seeded.sessions() as session:
        contribution = json.loads(to_json(session, "PARC"))["contributions"][0]
    validator = _validator()
    for broken in (
        {**contribution, "phone": "+33612345678"},
        {**contribution, "channel": "fax"},
        {**contribution, "submitted_at": "2026-12-01T12:00:00"},
        {**contribution, "answers": [{**contribution["answers"][0], "confidence": 1.5}]},
    ):
        assert not validator.is_valid(broken)


def test_csv_columns_are_the_schema_fields(seeded: Runtime) -> None:
    schema = contribution_schema()
    answer_fields = set(schema["properties"]["answers"]["items"]["properties"])
    known = (set(schema["properties"]) - {"answers"}) | answer_fields | {"answer_status"}
    with seeded.sessions() as session:
        rows = list(csv.DictReader(io.StringIO(to_csv(session, "PARC"))))
    assert set(rows[0]) <= known and len(rows) == 9 * 5


def test_pseudonyms_hold_within_an_export_and_change_between_exports(runtime: Runtime) -> None:
    seed(runtime)
    person = make_participant("+33612345678")
    for priorite in ("jeux", "arbres"):  # last wins: two contributions of one person
        record(runtime, make_intake("PARC", {**BASE, "priorite": priorite}, participant=person))
    with runtime.sessions() as session:
        first = json.loads(to_json(session, "PARC"))["contributions"]
        second = json.loads(to_json(session, "PARC"))["contributions"]
    mine = [c["participant"] for c in first if c["participant"]]
    assert len(mine) == 2 and mine[0] == mine[1]
    again = [c["participant"] for c in second if c["participant"]]
    assert again[0] != mine[0]
    assert person.key_hash not in json.dumps(first)


def test_tallies_as_csv_and_json(seeded: Runtime) -> None:
    with seeded.sessions() as session:
        result = tally(session, "PARC")
    rows = list(csv.DictReader(io.StringIO(tally_to_csv(result))))
    jeux = {
        r["channel"]: r for r in rows if r["question_id"] == "priorite" and r["option"] == "jeux"
    }
    assert {ch: r["counted"] for ch, r in jeux.items()} == {
        "ivr": "0", "kiosk": "1", "online": "2", "paper": "0", "sms": "0", "all": "3",
    }  # fmt: skip
    assert jeux["all"]["label"] == "Des jeux pour enfants"
    eclairage = [r for r in rows if r["option"] == "eclairage" and r["channel"] == "all"]
    assert [(r["counted"], r["awaiting_review"]) for r in eclairage] == [("0", "1")]
    assert json.loads(tally_to_json(result)) == json.loads(json.dumps(result.as_dict()))
