"""What people decided in review, per channel: the method, the terminal, the page, the exports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select

from gateway.app import create_app
from gateway.clock import set_clock
from gateway.contributions import decisions
from gateway.results.export import contribution_schema, tally_to_csv, to_csv, to_json
from gateway.results.tally import tally
from gateway.results.terminal import table
from gateway.runtime import Runtime
from gateway.store.models import Answer, AnswerSource, Channel
from tests.conftest import Clock
from tests.helpers import make_intake, record
from tests.results.seed import seed

UNSURE = {"frequentation": "yes", "priorite": "jeux", "satisfaction": 4}
AFTER_PUBLICATION = datetime(2027, 4, 8, 9, 0, tzinfo=UTC)
WHO = {"actor": "staff:alice", "reason": "checked"}


def make_unsure(runtime: Runtime, channel: Channel, source: AnswerSource) -> dict[str, int]:
    """A PARC contribution whose answers all wait for a person; its answer ids by question."""
    intake = make_intake("PARC", UNSURE, channel=channel, source=source, confidence=0.3)
    contribution_id = record(runtime, intake).contribution_id
    with runtime.sessions() as session:
        rows = session.execute(
            select(Answer.question_id, Answer.id).where(Answer.contribution_id == contribution_id)
        )
        return {question: answer for question, answer in rows}


def make_decided(runtime: Runtime) -> None:
    """Paper: 3 reviewed, 1 corrected, 1 rejected. Phone: an accept undone, then a rejection."""
    seed(runtime)
    paper = make_unsure(runtime, Channel.PAPER, AnswerSource.OMR)
    phone = make_unsure(runtime, Channel.IVR, AnswerSource.SPEECH)
    with runtime.sessions() as session, session.begin():
        decisions.accept_answer(session, paper["priorite"], **WHO)
        decisions.correct_answer(session, paper["satisfaction"], 2, **WHO)
        decisions.reject_answer(session, paper["frequentation"], **WHO)
        decisions.accept_answer(session, phone["priorite"], **WHO)
        decisions.reopen_answer(session, phone["priorite"], "jeux", **WHO)
        decisions.reject_answer(session, phone["priorite"], **WHO)


def test_the_method_counts_per_channel_what_people_decided(runtime: Runtime) -> None:
    make_decided(runtime)
    with runtime.sessions() as session:
        result = tally(session, "PARC")
    decided = {r.channel: (r.reviewed, r.corrected, r.rejected_in_review)
               for r in result.method.channels}  # fmt: skip
    assert decided == {"paper": (3, 1, 1), "ivr": (1, 0, 1), "sms": (0, 0, 0),
                       "kiosk": (0, 0, 0), "online": (0, 0, 0)}  # fmt: skip
    ivr = next(c for c in result.as_dict()["method"]["channels"] if c["channel"] == "ivr")
    assert (ivr["reviewed"], ivr["corrected"], ivr["rejected_in_review"]) == (1, 0, 1)
    assert "paper: " in table(result)
    assert "decided by a person: 3 reviewed, 1 corrected, 1 rejected" in table(result)


def test_the_tally_csv_ends_with_the_decisions_per_channel(runtime: Runtime) -> None:
    make_decided(runtime)
    with runtime.sessions() as session:
        rows = list(csv.DictReader(io.StringIO(tally_to_csv(tally(session, "PARC")))))
    method = {r["channel"]: r for r in rows if not r["question_id"]}
    assert set(method) == {"sms", "ivr", "kiosk", "paper", "online"}
    paper = method["paper"]
    assert (paper["reviewed"], paper["corrected"], paper["rejected_in_review"]) == ("3", "1", "1")
    assert method["ivr"]["reviewed"] == "1" and method["online"]["reviewed"] == "0"


def test_exported_answers_say_what_a_person_decided(runtime: Runtime) -> None:
    make_decided(runtime)
    with runtime.sessions() as session:
        exported = json.loads(to_json(session, "PARC"))["contributions"]
        rows = list(csv.DictReader(io.StringIO(to_csv(session, "PARC"))))
    validator = Draft202012Validator(contribution_schema(), format_checker=FormatChecker())
    for contribution in exported:
        validator.validate(contribution)
    answers = [a for c in exported for a in c["answers"]]
    reviews = [a["review"] for a in answers if a["review"]]
    assert sorted(reviews) == ["accepted", "corrected", "rejected", "rejected"]
    corrected = next(a for a in answers if a["review"] == "corrected")
    assert corrected["value"] == 2 and corrected["question_id"] == "satisfaction"
    by_channel: dict[str, list[str]] = {}
    for row in rows:
        if row["review"]:
            by_channel.setdefault(row["channel"], []).append(row["review"])
    assert {ch: sorted(r) for ch, r in by_channel.items()} == {
        "paper": ["accepted", "corrected", "rejected"], "ivr": ["rejected"],
    }  # fmt: skip


def test_the_results_page_shows_the_decisions_per_channel(runtime: Runtime) -> None:
    make_decided(runtime)
    with set_clock(Clock(AFTER_PUBLICATION)), TestClient(create_app(runtime=runtime)) as client:
        page = client.get("/results/PARC").text
    section = page.split("Réponses décidées par une personne lors")[1].split("</table>")[0]
    paper = re.search(r'<th scope="row">Papier</th>(.*?)</tr>', section)
    assert paper and re.findall(r"<td>(.*?)</td>", paper.group(1)) == ["3", "1", "1"]
    assert "Vérifiées" in section
