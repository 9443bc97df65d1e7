"""The question flow every channel shares: one consultation, one question at a time.

The engine keeps no state of its own. A channel holds a `DialogueState` (plain and
JSON-serialisable) where it likes — SMS in its conversation row, voice for the length
of a call, the kiosk in a session — and hands it in with what the person did: started
a consultation, gave an answer (typed, or spoken and transcribed), a command (help,
back, skip, repeat, end) or a language. The engine moves the state on and returns
events; the channel renders them in its own words: SMS as short texts with its
keywords, voice as prompts and DTMF menus, the kiosk as screens. It never sees HTTP,
a provider or the database, and when a conversation finishes it hands the answers
for the door (`Finished.answers`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from gateway.consultations.schema import Definition, OnDuplicate, OnUnclear, Question
from gateway.contributions.intake import AnswerIn
from gateway.dialogue.reading import Reading, read_answer
from gateway.i18n import DEFAULT_LANGUAGE
from gateway.store.models import AnswerSource

# An unclear answer is asked again with a hint at most this many times; then the
# question's `on_unclear` rule applies.
MAX_RETRIES = 2


class Consultations(Protocol):
    """What the engine needs to know about consultations; a channel answers from the store.

    A channel implements it per person and per message or call: it knows which
    consultations it offers and who is taking part (a phone number's keyed hash, a
    kiosk ticket), which the engine never sees.
    """

    def definition(self, code: str) -> Definition | None:
        """The definition of `code` as this channel offers it now, or None.

        None when the code is unknown or the consultation no longer lists this
        channel. A conversation whose definition is None, or has fewer questions than
        its step, was reloaded under it: the engine ends it (`Changed`).
        """
        ...

    def took_part(self, definition: Definition) -> bool:
        """Whether this person already has a contribution that counts in `definition`.

        The engine then applies the definition's duplicate rule: under first-wins it
        refuses to start (`AlreadyTookPart`); under last-wins it starts and says the new
        answers will replace the old ones (`Welcome.replacing`).
        """
        ...


class Command(StrEnum):
    """What a person can ask for besides answering; each channel has its own words or keys."""

    HELP = "help"
    BACK = "back"
    SKIP = "skip"
    REPEAT = "repeat"
    END = "end"


@dataclass
class DialogueState:
    """Where one person stands; `to_json`/`from_json` let a channel store it as it likes."""

    consultation_code: str | None = None
    language: str = DEFAULT_LANGUAGE
    step: int = 0
    attempts: int = 0
    # question id -> {"value", "raw", "confidence"}, in the order answered.
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: bool = False
    finished: bool = False

    @property
    def active(self) -> bool:
        return self.started and not self.finished

    def reset(self) -> None:
        """Forget the conversation; the language stays the person's."""
        for name, value in vars(DialogueState(language=self.language)).items():
            setattr(self, name, value)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DialogueState:
        return cls(**data)


# Events: what happened, for the channel to render in order.


@dataclass(frozen=True)
class Welcome:
    """A conversation starts; `replacing` when new answers replace counted ones."""

    definition: Definition
    replacing: bool = False


@dataclass(frozen=True)
class Ask:
    """Ask `question`, the `number`th of `total`; after an unclear answer, `hint` says why."""

    definition: Definition
    question: Question
    number: int
    total: int
    hint: Reading | None = None
    attempt: int = 0


@dataclass(frozen=True)
class Help:
    """Explain how to answer `question` and the commands."""

    question: Question


@dataclass(frozen=True)
class FirstQuestion:
    """Back was asked at the first question."""


@dataclass(frozen=True)
class AnswerNeeded:
    """Skip or end was asked, but `question` is required."""

    question: Question


@dataclass(frozen=True)
class PassedToReview:
    """Still unclear after the retries: the raw answer goes to a person."""

    question: Question


@dataclass(frozen=True)
class AlreadyTookPart:
    """Refused to start: this person's first answers are kept (first-wins)."""

    definition: Definition


@dataclass(frozen=True)
class NotOpenYet:
    definition: Definition


@dataclass(frozen=True)
class Closed:
    definition: Definition


@dataclass(frozen=True)
class Finished:
    """The answers are complete: record `answers` through the door, then reset the state."""

    definition: Definition
    answers: tuple[AnswerIn, ...]


@dataclass(frozen=True)
class Stopped:
    """Ended before the required answers were given: nothing is kept."""

    definition: Definition


@dataclass(frozen=True)
class Changed:
    """The consultation was reloaded or withdrawn under the conversation: nothing is kept."""

    code: str


Event = (
    Welcome
    | Ask
    | Help
    | FirstQuestion
    | AnswerNeeded
    | PassedToReview
    | AlreadyTookPart
    | NotOpenYet
    | Closed
    | Finished
    | Stopped
    | Changed
)


class Dialogue:
    """The rules of a conversation, applied to a state a channel hands in."""

    def __init__(self, consultations: Consultations, now: datetime, source: AnswerSource) -> None:
        self.consultations = consultations
        self.now = now
        self.source = source

    def start(self, state: DialogueState, definition: Definition) -> list[Event]:
        """Start `definition` from its first question, unless it is closed or already answered."""
        state.reset()
        if self.now < definition.opens_at:
            return [NotOpenYet(definition)]
        if self.now >= definition.closes_at:
            return [Closed(definition)]
        took_part = self.consultations.took_part(definition)
        rule = definition.identity.on_duplicate
        if took_part and rule == OnDuplicate.FIRST_WINS:
            return [AlreadyTookPart(definition)]
        state.consultation_code = definition.code
        state.started = True
        replacing = took_part and rule == OnDuplicate.LAST_WINS
        return [Welcome(definition, replacing), self._ask(state, definition)]

    def answer(self, state: DialogueState, text: str, confidence: float = 1.0) -> list[Event]:
        """Read `text` as the answer to the current question (`confidence` from speech)."""
        current = self._current(state)
        if current is None:
            return self._changed(state)
        definition, question = current
        reading = read_answer(question, text)
        if reading.clear:
            return self._record(state, definition, question, reading.value, text, confidence)
        return self._unclear(state, definition, question, text, reading)

    def command(self, state: DialogueState, command: Command) -> list[Event]:
        current = self._current(state)
        if current is None:
            return self._changed(state)
        definition, question = current
        if command == Command.HELP:
            return [Help(question), self._ask(state, definition)]
        if command == Command.BACK:
            return self._back(state, definition)
        if command == Command.SKIP:
            if question.required:
                return [AnswerNeeded(question), self._ask(state, definition)]
            return self._record(state, definition, question, None, None, 1.0)
        if command == Command.END:
            return self._end(state, definition)
        return [self._ask(state, definition)]

    def give(self, state: DialogueState, value: Any, raw: str | None) -> list[Event]:
        """Record `value` for the current question, already read and checked by the channel.

        A screen has no reading to do: the kiosk checks the tapped options against the
        question itself (`gateway.validation.normalise`) and hands the value in.
        """
        current = self._current(state)
        if current is None:
            return self._changed(state)
        definition, question = current
        return self._record(state, definition, question, value, raw, 1.0)

    def reopen(self, state: DialogueState) -> list[Event]:
        """Go back from finished answers to the last question (a summary screen's back)."""
        if not (state.started and state.finished):
            raise ValueError("no finished conversation to reopen")
        definition = self.consultations.definition(state.consultation_code or "")
        if definition is None or state.step != len(definition.all_questions):
            return self._changed(state)
        state.finished = False
        return self._back(state, definition)

    def switch_language(self, state: DialogueState, language: str) -> list[Event]:
        """Speak `language` from now on; the current question again, if there is one."""
        state.language = language
        if not state.active:
            return []
        return self.command(state, Command.REPEAT)

    def answers_for_door(self, state: DialogueState) -> list[AnswerIn]:
        """The answers given so far, as the door takes them."""
        return [
            AnswerIn(
                question_id=question_id,
                value=answer["value"],
                raw=answer["raw"],
                source=self.source,
                confidence=answer["confidence"],
            )
            for question_id, answer in state.answers.items()
        ]

    # Moving on.

    def _record(
        self,
        state: DialogueState,
        definition: Definition,
        question: Question,
        value: Any,
        raw: str | None,
        confidence: float,
    ) -> list[Event]:
        state.answers = {
            **state.answers,
            question.id: {"value": value, "raw": raw, "confidence": confidence},
        }
        state.step += 1
        state.attempts = 0
        if state.step < len(definition.all_questions):
            return [self._ask(state, definition)]
        return self._finish(state, definition)

    def _unclear(
        self,
        state: DialogueState,
        definition: Definition,
        question: Question,
        text: str,
        reading: Reading,
    ) -> list[Event]:
        state.attempts += 1
        if state.attempts <= MAX_RETRIES:
            return [self._ask(state, definition, reading)]
        if question.on_unclear == OnUnclear.SKIP and not question.required:
            return self._record(state, definition, question, None, text, 1.0)
        # A person will read it: the door sends an answer with no confidence to review.
        events = self._record(state, definition, question, text, text, 0.0)
        return [PassedToReview(question), *events]

    def _back(self, state: DialogueState, definition: Definition) -> list[Event]:
        if state.step == 0:
            return [FirstQuestion(), self._ask(state, definition)]
        state.step -= 1
        state.attempts = 0
        previous = definition.all_questions[state.step].id
        state.answers = {k: v for k, v in state.answers.items() if k != previous}
        return [self._ask(state, definition)]

    def _end(self, state: DialogueState, definition: Definition) -> list[Event]:
        answered = {qid for qid, a in state.answers.items() if a["value"] is not None}
        if all(q.id in answered for q in definition.all_questions if q.required):
            return self._finish(state, definition)
        state.reset()
        return [Stopped(definition)]

    def _finish(self, state: DialogueState, definition: Definition) -> list[Event]:
        state.finished = True
        return [Finished(definition, tuple(self.answers_for_door(state)))]

    # Where the state stands.

    def _current(self, state: DialogueState) -> tuple[Definition, Question] | None:
        """The definition and question the state stands at; None if they changed under it."""
        if not state.active:
            raise ValueError("no conversation in progress")
        definition = self.consultations.definition(state.consultation_code or "")
        if definition is None or state.step >= len(definition.all_questions):
            return None
        return definition, definition.all_questions[state.step]

    def _changed(self, state: DialogueState) -> list[Event]:
        code = state.consultation_code or ""
        state.reset()
        return [Changed(code)]

    def _ask(
        self, state: DialogueState, definition: Definition, hint: Reading | None = None
    ) -> Ask:
        questions = definition.all_questions
        question = questions[state.step]
        attempt = state.attempts if hint is not None else 0
        return Ask(definition, question, state.step + 1, len(questions), hint, attempt)
