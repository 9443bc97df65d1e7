"""Free text leaves the store only as moderation decided: masked, edited, or not at all."""

from __future__ import annotations

import json
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from gateway.results import opendata
from gateway.results.export import to_csv, to_json
from gateway.results.report import pdf_report
from gateway.results.tally import tally
from gateway.runtime import Runtime
from gateway.store.models import Answer, AnswerSource, Channel
from mediation import queue, review
from mediation.review import Action
from tests.helpers import load_examples, make_intake, record

BASE = {"frequentation": "yes", "priorite": "jeux", "satisfaction": 4}
RAW = "Des bancs. je m'appelle Jeanne Dupont, 06 12 34 56 78, jeanne.dupont@exemple.fr"
MASKED = "Des bancs. je m'appelle […], […], […]"
PERSONAL = ("Jeanne", "Dupont", "06 12 34 56 78", "jeanne.dupont@exemple")


@pytest.fixture
def parc(runtime: Runtime) -> Runtime:
    load_examples(runtime)
    return runtime


def make_idea(runtime: Runtime, idea: str, channel: Channel = Channel.ONLINE) -> int:
    """Record a counted contribution with `idea` as its free text; return the answer's id."""
    source = AnswerSource.SMS if channel == Channel.SMS else AnswerSource.TYPED
    result = record(runtime, make_intake("PARC", {**BASE, "idee": idea}, channel=channel,
                                         source=source))  # fmt: skip
    with runtime.sessions() as session:
        query = select(Answer.id).where(
            Answer.contribution_id == result.contribution_id, Answer.question_id == "idee"
        )
        return session.scalars(query).one()


def moderate(runtime: Runtime, answer_id: int, action: Action, value: Any = None) -> None:
    with runtime.sessions() as session, session.begin():
        item = queue.item(session, f"m{answer_id}")
        assert item is not None
        review.decide(session, item, action, value, "staff:carla")


def published(runtime: Runtime) -> list[Any]:
    with runtime.sessions() as session:
        exported = json.loads(to_json(session, "PARC"))["contributions"]
    return [a["value"] for c in exported for a in c["answers"] if a["question_id"] == "idee"]


def everything_published(runtime: Runtime) -> str:
    """Every export and the PDF report's text, as one string to search."""
    with runtime.sessions() as session:
        parts = [to_json(session, "PARC"), to_csv(session, "PARC"),
                 opendata.survey_to_csv(session, "PARC", "fr"),
                 opendata.survey_to_json(session, "PARC", "fr")]  # fmt: skip
        pdf = pdfium.PdfDocument(pdf_report(tally(session, "PARC", "fr")))
    parts += [page.get_textpage().get_text_range() for page in pdf]
    pdf.close()
    return "\n".join(parts)


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.ONLINE])
def test_personal_data_is_masked_before_any_decision(parc: Runtime, channel: Channel) -> None:
    make_idea(parc, RAW, channel)
    assert published(parc) == [MASKED]
    out = everything_published(parc)
    assert MASKED in out and not [word for word in PERSONAL if word in out]


def test_the_agents_edit_is_published(parc: Runtime) -> None:
    answer_id = make_idea(parc, RAW, Channel.SMS)
    moderate(parc, answer_id, Action.CORRECT, "Des bancs près de l'école")
    assert published(parc) == ["Des bancs près de l'école"]
    out = everything_published(parc)
    assert "Des bancs près de l'école" in out and "Jeanne" not in out


def test_a_withheld_text_is_absent(parc: Runtime) -> None:
    moderate(parc, make_idea(parc, RAW), Action.REJECT)
    assert published(parc) == [None]
    out = everything_published(parc)
    assert "Des bancs" not in out and "Jeanne" not in out


def test_a_masked_decision_publishes_the_masked_text(parc: Runtime) -> None:
    moderate(parc, make_idea(parc, RAW), Action.ACCEPT)
    assert published(parc) == [MASKED]


def test_an_insult_waits_for_an_agent(parc: Runtime) -> None:
    answer_id = make_idea(parc, "Le maire est un abruti, il faut des bancs")
    assert published(parc) == [None]
    moderate(parc, answer_id, Action.ACCEPT)
    assert published(parc) == ["Le maire est un abruti, il faut des bancs"]


def test_a_text_with_nothing_to_mask_is_published_as_written(parc: Runtime) -> None:
    make_idea(parc, "je suis contente, des bancs à l'ombre svp")
    assert published(parc) == ["je suis contente, des bancs à l'ombre svp"]
    assert "je suis contente, des bancs à l'ombre svp" in everything_published(parc)


def test_the_original_stays_in_the_store(parc: Runtime) -> None:
    answer_id = make_idea(parc, RAW)
    moderate(parc, answer_id, Action.CORRECT, "Des bancs")
    with parc.sessions() as session:
        assert queue.answer_value(session, answer_id) == RAW
