"""The dialogue engine, table by table: what a person does, what the engine answers.

No HTTP, no database: a definition, a state that goes through JSON between turns
(as a channel would store it), and consultations held in a dict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.consultations.loader import load_definition
from gateway.consultations.schema import Definition
from gateway.contributions.intake import AnswerIn
from gateway.dialogue.engine import (
    MAX_RETRIES,
    AnswerNeeded,
    Ask,
    Changed,
    Closed,
    Command,
    Dialogue,
    DialogueState,
    Event,
    Finished,
    Help,
    NotOpenYet,
    PassedToReview,
    Welcome,
)
from gateway.store.models import AnswerSource
from tests.helpers import BUDGET, PARC

OPEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # both examples are open
PARC_DEF = load_definition(PARC)
BUDGET_DEF = load_definition(BUDGET)


@dataclass
class Consultations:
    definitions: dict[str, Definition] = field(
        default_factory=lambda: {"PARC": PARC_DEF, "BUDGET": BUDGET_DEF}
    )
    took: bool = False

    def definition(self, code: str) -> Definition | None:
        return self.definitions.get(code)

    def took_part(self, definition: Definition) -> bool:
        return self.took


def summary(event: Event) -> str:
    """One short word per event, so a table reads like the conversation."""
    match event:
        case Welcome(replacing=True):
            return "welcome, replacing"
        case Ask(question=question, hint=None):
            return f"ask {question.id}"
        case Ask(question=question, hint=hint, attempt=attempt):
            return f"ask {question.id} ({hint.problem}, try {attempt})"  # type: ignore[union-attr]
        case Help(question) | AnswerNeeded(question) | PassedToReview(question):
            return f"{type(event).__name__} {question.id}"
        case Changed(code):
            return f"changed {code}"
        case _:
            return type(event).__name__


Step = tuple[str, Any, list[str]]


@dataclass
class Person:
    """A person in a channel: the state goes through JSON between turns."""

    consultations: Consultations = field(default_factory=Consultations)
    now: datetime = OPEN
    stored: str = field(default_factory=lambda: json.dumps(DialogueState().to_json()))
    last: list[Event] = field(default_factory=list)

    def do(self, action: str, argument: Any = None) -> list[str]:
        state = DialogueState.from_json(json.loads(self.stored))
        dialogue = Dialogue(self.consultations, self.now, AnswerSource.SPEECH)
        if action == "start":
            definition = self.consultations.definition(argument)
            assert definition is not None
            self.last = dialogue.start(state, definition)
        elif action == "answer":
            self.last = dialogue.answer(state, argument)
        elif action == "language":
            self.last = dialogue.switch_language(state, argument)
        else:
            self.last = dialogue.command(state, Command(action))
        self.stored = json.dumps(state.to_json())
        return [summary(event) for event in self.last]

    @property
    def state(self) -> DialogueState:
        return DialogueState.from_json(json.loads(self.stored))

    def play(self, steps: list[Step]) -> None:
        for action, argument, expected in steps:
            assert self.do(action, argument) == expected, (action, argument)


WALK_PARC = [
    ("start", "PARC", ["Welcome", "ask frequentation"]),
    ("answer", "oui avec plaisir", ["ask priorite"]),
    ("answer", "le soir", ["ask satisfaction"]),
    ("answer", "je mets 4", ["ask visites"]),
    ("answer", "deux fois par mois", ["ask idee"]),
    ("skip", None, ["ask tranche-age"]),
    ("answer", "2", ["ask quartier"]),
    ("answer", "la gare", ["Finished"]),
]

SCENARIOS: dict[str, list[Step]] = {
    "a whole consultation": WALK_PARC,
    "back, at the first question and later": [
        ("start", "PARC", ["Welcome", "ask frequentation"]),
        ("back", None, ["FirstQuestion", "ask frequentation"]),
        ("answer", "oui", ["ask priorite"]),
        ("back", None, ["ask frequentation"]),
        ("answer", "non", ["ask priorite"]),
    ],
    "help and repeat ask the same question": [
        ("start", "PARC", ["Welcome", "ask frequentation"]),
        ("help", None, ["Help frequentation", "ask frequentation"]),
        ("repeat", None, ["ask frequentation"]),
    ],
    "a required question cannot be skipped": [
        ("start", "PARC", ["Welcome", "ask frequentation"]),
        ("skip", None, ["AnswerNeeded frequentation", "ask frequentation"]),
    ],
    "unclear: a hint twice, then a person reads it": [
        ("start", "PARC", ["Welcome", "ask frequentation"]),
        ("answer", "peut-être", ["ask frequentation (unclear_choice, try 1)"]),
        ("answer", "oui et non", ["ask frequentation (only_one, try 2)"]),
        ("answer", "ça dépend", ["PassedToReview frequentation", "ask priorite"]),
        ("answer", "bof", ["ask priorite (unclear_choice, try 1)"]),
        ("repeat", None, ["ask priorite"]),
    ],
    "unclear free text is skipped when the definition says so": [
        *WALK_PARC[:5],
        ("answer", "x" * 501, ["ask idee (too_long, try 1)"]),
        ("answer", "x" * 501, ["ask idee (too_long, try 2)"]),
        ("answer", "x" * 501, ["ask tranche-age"]),
    ],
    "end before the required answers keeps nothing": [
        ("start", "PARC", ["Welcome", "ask frequentation"]),
        ("answer", "oui", ["ask priorite"]),
        ("end", None, ["Stopped"]),
    ],
    "end once the required answers are given finishes": [
        *WALK_PARC[:4],
        ("end", None, ["Finished"]),
    ],
    "a language switch asks the question again": [
        ("language", "en", []),
        ("start", "PARC", ["Welcome", "ask frequentation"]),
        ("language", "fr", ["ask frequentation"]),
    ],
    "another consultation starts afresh": [
        ("start", "PARC", ["Welcome", "ask frequentation"]),
        ("answer", "oui", ["ask priorite"]),
        ("start", "BUDGET", ["Welcome", "ask projets"]),
        ("answer", "1 et 3", ["ask tranche-age"]),
        ("answer", "60 ans ou plus", ["Finished"]),
    ],
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario(name: str) -> None:
    Person().play(SCENARIOS[name])


def test_finished_answers_are_ready_for_the_door() -> None:
    person = Person()
    person.play(WALK_PARC)
    [finished] = person.last
    assert isinstance(finished, Finished)
    assert finished.answers == (
        AnswerIn("frequentation", "yes", "oui avec plaisir", AnswerSource.SPEECH, 1.0),
        AnswerIn("priorite", "eclairage", "le soir", AnswerSource.SPEECH, 1.0),
        AnswerIn("satisfaction", 4, "je mets 4", AnswerSource.SPEECH, 1.0),
        AnswerIn("visites", 2, "deux fois par mois", AnswerSource.SPEECH, 1.0),
        AnswerIn("idee", None, None, AnswerSource.SPEECH, 1.0),
        AnswerIn("tranche-age", "18-29", "2", AnswerSource.SPEECH, 1.0),
        AnswerIn("quartier", "gare", "la gare", AnswerSource.SPEECH, 1.0),
    )
    assert person.state.finished and not person.state.active


def test_an_answer_read_after_the_retries_goes_to_review_with_no_confidence() -> None:
    person = Person()
    person.do("start", "PARC")
    for _ in range(MAX_RETRIES + 1):
        person.do("answer", "ça dépend")
    assert person.state.answers["frequentation"] == {
        "value": "ça dépend",
        "raw": "ça dépend",
        "confidence": 0.0,
    }


def test_back_forgets_the_answer_it_returns_to() -> None:
    person = Person()
    person.play(WALK_PARC[:3])
    person.do("back")
    assert list(person.state.answers) == ["frequentation"]


def test_a_spoken_answer_keeps_its_confidence() -> None:
    state = DialogueState()
    dialogue = Dialogue(Consultations(), OPEN, AnswerSource.SPEECH)
    dialogue.start(state, PARC_DEF)
    dialogue.answer(state, "oui", confidence=0.62)
    assert state.answers["frequentation"]["confidence"] == 0.62


@pytest.mark.parametrize(
    ("code", "took", "expected"),
    [
        ("BUDGET", True, ["AlreadyTookPart"]),  # first wins
        ("PARC", True, ["welcome, replacing", "ask frequentation"]),  # last wins
        ("PARC", False, ["Welcome", "ask frequentation"]),
    ],
)
def test_who_already_took_part(code: str, took: bool, expected: list[str]) -> None:
    person = Person(Consultations(took=took))
    assert person.do("start", code) == expected
    assert person.state.active == (expected != ["AlreadyTookPart"])


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 10, 1, tzinfo=UTC), [NotOpenYet]),
        (datetime(2027, 6, 1, tzinfo=UTC), [Closed]),
    ],
)
def test_only_an_open_consultation_starts(now: datetime, expected: list[type]) -> None:
    person = Person(now=now)
    person.do("start", "PARC")
    assert [type(event) for event in person.last] == expected
    assert not person.state.started


@pytest.mark.parametrize(
    "change",
    [
        {},  # withdrawn from the channel
        {"PARC": PARC_DEF.model_copy(update={"questions": PARC_DEF.questions[:1], "profile": []})},
    ],
    ids=["withdrawn", "fewer-questions"],
)
@pytest.mark.parametrize(("action", "argument"), [("answer", "1"), ("end", None), ("help", None)])
def test_a_definition_changed_under_the_conversation_ends_it(
    change: dict[str, Definition], action: str, argument: Any
) -> None:
    person = Person()
    person.play(WALK_PARC[:3])
    person.consultations.definitions = change
    assert person.do(action, argument) == ["changed PARC"]
    assert person.state == DialogueState()


def test_the_state_round_trips_through_json_and_keeps_the_language() -> None:
    person = Person()
    person.do("language", "en")
    person.play(WALK_PARC[:4])
    state = person.state
    assert (state.language, state.step, state.consultation_code) == ("en", 3, "PARC")
    state.reset()
    assert state == DialogueState(language="en")


def test_an_idle_state_takes_no_answer() -> None:
    with pytest.raises(ValueError, match="no conversation"):
        Dialogue(Consultations(), OPEN, AnswerSource.SMS).answer(DialogueState(), "1")


def test_a_value_given_by_a_screen_is_recorded_as_given() -> None:
    state = DialogueState()
    dialogue = Dialogue(Consultations(), OPEN, AnswerSource.TOUCH)
    dialogue.start(state, BUDGET_DEF)
    events = dialogue.give(state, ["bancs", "fontaines"], "bancs fontaines")
    assert [summary(e) for e in events] == ["ask tranche-age"]
    assert state.answers["projets"] == {
        "value": ["bancs", "fontaines"],
        "raw": "bancs fontaines",
        "confidence": 1.0,
    }


def test_reopen_goes_back_from_the_summary_to_the_last_question() -> None:
    person = Person()
    person.play(WALK_PARC)
    state = person.state
    dialogue = Dialogue(person.consultations, OPEN, AnswerSource.TOUCH)
    assert [summary(e) for e in dialogue.reopen(state)] == ["ask quartier"]
    assert state.active and "quartier" not in state.answers
    with pytest.raises(ValueError):
        dialogue.reopen(state)


def test_reopen_ends_a_conversation_whose_consultation_was_withdrawn() -> None:
    person = Person()
    person.play(WALK_PARC)
    person.consultations.definitions.pop("PARC")
    state = person.state
    dialogue = Dialogue(person.consultations, OPEN, AnswerSource.TOUCH)
    assert [summary(e) for e in dialogue.reopen(state)] == ["changed PARC"]
    assert not state.started
