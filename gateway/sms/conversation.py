"""The conversation engine: one text in, the replies out, the state kept on the row.

It knows nothing of HTTP or Twilio: the webhook, the simulator and the tests
all drive the same `Engine`. When the last question is answered the turn says
so, and the service hands the answers to the one door.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from gateway.consultations.schema import (
    Definition,
    OnDuplicate,
    OnUnclear,
    Question,
    QuestionType,
)
from gateway.i18n import N_, t
from gateway.sms import keywords, messages
from gateway.sms.keywords import Command
from gateway.sms.models import ConversationStatus, SmsConversation
from gateway.sms.parsing import read_answer
from gateway.store.base import as_utc

# An unclear answer is asked again with a hint at most this many times.
MAX_RETRIES = 2


class Consultations(Protocol):
    """What the engine needs to know about consultations; the service reads the store."""

    def definition(self, code: str) -> Definition | None:
        """The definition of a consultation offered by SMS, or None."""
        ...

    def open_codes(self) -> list[str]:
        """Codes of the consultations open by SMS now, for a resident who is lost."""
        ...

    def took_part(self, definition: Definition) -> bool:
        """Whether this number already has a contribution that counts for it."""
        ...


class Outcome(StrEnum):
    REPLIED = "replied"
    STARTED = "started"
    FINISHED = "finished"
    ABANDONED = "abandoned"


@dataclass
class Turn:
    replies: list[str] = field(default_factory=list)
    outcome: Outcome = Outcome.REPLIED


class Engine:
    def __init__(
        self,
        conversation: SmsConversation,
        consultations: Consultations,
        now: datetime,
        idle: timedelta,
    ) -> None:
        self.row = conversation
        self.consultations = consultations
        self.now = now
        self.idle = idle

    @property
    def language(self) -> str:
        return self.row.language

    def handle(self, text: str, has_media: bool = False) -> Turn:
        """Answer one inbound text (opt-out and flood limits are the service's job)."""
        language = keywords.language_switch(text)
        if language is not None:
            self.row.language = language
        if self._active() and self._definition_changed():
            return self._end_changed()
        if language is not None:
            return self._repeat_or_welcome()
        if self.row.status == ConversationStatus.EXPIRED or (self._active() and self._expired()):
            expired = self.row.consultation_code or ""
            self.reset()
            if self._definition_named(text) is None:
                message = N_(
                    "You did not answer for a long time, so the questions stopped. "
                    "Send %(code)s to start again."
                )
                return Turn([t(self.language, message, code=expired)], Outcome.ABANDONED)
        if self._active():
            return self._in_conversation(text, has_media)
        return self._idle(text, has_media)

    # Idle: waiting for a consultation code.

    def _idle(self, text: str, has_media: bool) -> Turn:
        if keywords.command(text) is not None:
            return Turn([self._help_idle()])
        definition = self._definition_named(text)
        if definition is None:
            codes = self.consultations.open_codes()
            if has_media and not text.strip():
                return Turn(
                    [t(self.language, MEDIA_ONLY), messages.open_codes(self.language, codes)]
                )
            return Turn([messages.unknown_code(self.language, codes)])
        return self._start(definition)

    def _definition_named(self, text: str) -> Definition | None:
        code = keywords.fold(text).replace(" ", "").upper()
        return self.consultations.definition(code) if 0 < len(code) <= 16 else None

    def _start(self, definition: Definition) -> Turn:
        refusal = messages.not_open(definition, self.language, self.now)
        if refusal is not None:
            return Turn([refusal])
        took_part = self.consultations.took_part(definition)
        if took_part and definition.identity.on_duplicate == OnDuplicate.FIRST_WINS:
            message = N_(
                "You already took part in %(code)s. Your first answers are kept. Thank you!"
            )
            return Turn([t(self.language, message, code=definition.code)])
        self.row.status = ConversationStatus.ACTIVE
        self.row.consultation_code = definition.code
        self.row.token = secrets.token_hex(16)
        self.row.step = 0
        self.row.attempts = 0
        self.row.answers = {}
        greeting = messages.intro(definition, self.language)
        if took_part and definition.identity.on_duplicate == OnDuplicate.LAST_WINS:
            greeting += " " + t(
                self.language, "You already took part: your new answers will replace the old ones."
            )
        return Turn([greeting, self._question_text()], Outcome.STARTED)

    # Active: one question at a time.

    def _in_conversation(self, text: str, has_media: bool) -> Turn:
        definition = self._current_definition()
        question = self._question()
        named = self._definition_named(text)
        if named is not None and question.type != QuestionType.TEXT:
            if named.code == definition.code:
                return Turn([self._question_text()])
            self.reset()
            return self._start(named)
        action = keywords.command(text)
        if action is not None:
            return self._command(action, question)
        if has_media and not text.strip():
            return Turn([t(self.language, MEDIA_ONLY), self._question_text()])
        reading = read_answer(question, text)
        if reading.clear:
            return self._answer(question, reading.value, text, confidence=1.0)
        return self._unclear(question, text, reading.problem or "", reading.values or {})

    def _command(self, action: Command, question: Question) -> Turn:
        if action == Command.HELP:
            return Turn([t(self.language, HELP), self._question_text()])
        if action == Command.BACK:
            return self._back()
        if action == Command.SKIP:
            if question.required:
                needed = t(self.language, "This question needs an answer.")
                return Turn([needed, self._question_text()])
            return self._answer(question, None, None, confidence=1.0)
        return self._end_early()

    def _answer(self, question: Question, value: Any, raw: str | None, confidence: float) -> Turn:
        self.row.answers = {
            **self.row.answers,
            question.id: {"value": value, "raw": raw, "confidence": confidence},
        }
        self.row.step += 1
        self.row.attempts = 0
        if self.row.step >= len(self._current_definition().all_questions):
            return Turn([], Outcome.FINISHED)
        return Turn([self._question_text()])

    def _unclear(self, question: Question, text: str, problem: str, values: dict[str, Any]) -> Turn:
        self.row.attempts += 1
        if self.row.attempts <= MAX_RETRIES:
            hint = t(self.language, problem, **values)
            return Turn([f"{hint}\n{self._question_text()}"])
        if question.on_unclear == OnUnclear.SKIP and not question.required:
            return self._answer(question, None, text, confidence=1.0)
        # A person will read it: the door sends an answer with no confidence to review.
        turn = self._answer(question, text, text, confidence=0.0)
        note = t(self.language, "Thank you. A person will read this answer.")
        return Turn([note, *turn.replies], turn.outcome)

    def _back(self) -> Turn:
        if self.row.step == 0:
            return Turn([t(self.language, "This is the first question."), self._question_text()])
        self.row.step -= 1
        self.row.attempts = 0
        previous = self._question().id
        self.row.answers = {k: v for k, v in self.row.answers.items() if k != previous}
        return Turn([self._question_text()])

    def _end_early(self) -> Turn:
        definition = self._current_definition()
        answered = {qid for qid, a in self.row.answers.items() if a["value"] is not None}
        if all(q.id in answered for q in definition.all_questions if q.required):
            return Turn([], Outcome.FINISHED)
        self.reset()
        message = N_(
            "The questions are stopped. Your answers are not kept. Send %(code)s to start again."
        )
        return Turn([t(self.language, message, code=definition.code)], Outcome.ABANDONED)

    def _end_changed(self) -> Turn:
        # Reloaded without SMS or with fewer questions: the answers no longer fit it.
        code = self.row.consultation_code
        self.reset()
        changed = t(self.language, CHANGED, code=code)
        codes = messages.open_codes(self.language, self.consultations.open_codes())
        return Turn([f"{changed} {codes}"], Outcome.ABANDONED)

    def _repeat_or_welcome(self) -> Turn:
        if self._active() and not self._expired():
            return Turn([self._question_text()])
        return Turn([messages.open_codes(self.language, self.consultations.open_codes())])

    def _help_idle(self) -> str:
        codes = self.consultations.open_codes()
        return f"{t(self.language, HELP_IDLE)} {messages.open_codes(self.language, codes)}"

    # State.

    def _active(self) -> bool:
        return self.row.status == ConversationStatus.ACTIVE

    def _expired(self) -> bool:
        last = self.row.last_message_at
        if last is None:
            return False
        last = as_utc(last)
        return self.now - last > self.idle

    def _definition_changed(self) -> bool:
        definition = self.consultations.definition(self.row.consultation_code or "")
        return definition is None or self.row.step >= len(definition.all_questions)

    def _current_definition(self) -> Definition:
        definition = self.consultations.definition(self.row.consultation_code or "")
        if definition is None:
            raise LookupError(f"consultation {self.row.consultation_code} is gone")
        return definition

    def _question(self) -> Question:
        return self._current_definition().all_questions[self.row.step]

    def _question_text(self) -> str:
        return messages.question_text(self._current_definition(), self._question(), self.language)

    def answers(self) -> dict[str, dict[str, Any]]:
        return dict(self.row.answers)

    def reset(self) -> None:
        forget(self.row)


def forget(row: SmsConversation) -> None:
    """End a conversation: its answers, transcript and raw number go."""
    row.status = ConversationStatus.IDLE
    row.consultation_code = None
    row.token = None
    row.step = 0
    row.attempts = 0
    row.answers = {}
    row.transcript = []
    row.reply_to = None


MEDIA_ONLY = N_("I can only read text. Please write your answer.")
HELP = N_(
    "Answer with the number of your choice. BACK: previous question. SKIP: next question. "
    "DONE: stop the questions. STOP: no more SMS."
)
HELP_IDLE = N_("To answer a consultation by SMS, send its code.")
CHANGED = N_("The questions of %(code)s changed. Your answers are not kept.")
