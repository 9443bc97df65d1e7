"""How texted answers become option keys and numbers, on the example definitions."""

from __future__ import annotations

import pytest

from gateway.consultations.loader import load_definition
from gateway.consultations.schema import Question
from gateway.sms.parsing import UNCLEAR_CHOICES, UNCLEAR_NUMBER, read_answer
from tests.helpers import BUDGET, PARC


def _question(path: object, question_id: str) -> Question:
    question = load_definition(path).question(question_id)  # type: ignore[arg-type]
    assert question is not None
    return question


PROJECTS = _question(BUDGET, "projets")
VISITS = _question(PARC, "visites")

CHOICES = [
    # Options named by word: the number words around them are articles or quantities.
    ("Une aire de jeux", ["aire-jeux"]),
    ("une fontaine", ["fontaines"]),
    ("deux bancs", ["bancs"]),
    ("je vote pour une piste cyclable", ["pistes-cyclables"]),
    ("un jardin et une fontaine", ["jardin-partage", "fontaines"]),
    ("À 3", ["bancs"]),
    ("à 3", ["bancs"]),
    # Option positions, as before.
    ("2", ["pistes-cyclables"]),
    ("1 3", ["jardin-partage", "bancs"]),
    ("1,3", ["jardin-partage", "bancs"]),
    ("1 et 3", ["jardin-partage", "bancs"]),
    ("deux", ["pistes-cyclables"]),
    ("un et trois", ["jardin-partage", "bancs"]),
    ("le premier et le troisième", ["jardin-partage", "bancs"]),
    ("a c", ["jardin-partage", "bancs"]),
    ("jardin et 7", ["jardin-partage", "eclairage"]),
]


@pytest.mark.parametrize(("text", "expected"), CHOICES)
def test_multiple_choice(text: str, expected: list[str]) -> None:
    reading = read_answer(PROJECTS, text)
    assert (reading.value, reading.problem) == (expected, None)


# A number word next to option words is not silently dropped: the resident is asked again.
@pytest.mark.parametrize("text", ["jardin et deux", "aucune fontaine"])
def test_mixed_number_words_are_unclear(text: str) -> None:
    assert read_answer(PROJECTS, text).problem == UNCLEAR_CHOICES


@pytest.mark.parametrize("text", ["9" * 400, "-" + "9" * 400, "9" * 400 + ",5"])
def test_huge_numbers_are_unclear(text: str) -> None:
    assert read_answer(VISITS, text).problem == UNCLEAR_NUMBER


@pytest.mark.parametrize(
    ("question_id", "text"),
    [("projets", "1" * 5000), ("projets", "2 " + "0" * 5000), ("priorite", "3" * 5000),
     ("frequentation", "1" * 4301), ("satisfaction", "4/" + "5" * 5000),
     ("satisfaction", "4" * 5000 + " sur 5")],
)  # fmt: skip
def test_thousands_of_digits_are_unclear_not_a_crash(question_id: str, text: str) -> None:
    question = PROJECTS if question_id == "projets" else _question(PARC, question_id)
    reading = read_answer(question, text)
    assert reading.value is None and reading.problem is not None
