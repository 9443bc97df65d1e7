"""The SMS side of a conversation: texts in, texts out, the dialogue's state on the row.

The question flow is the shared dialogue engine (`gateway.dialogue`); this module
speaks SMS around it: consultation codes and keywords (AIDE, RETOUR, PASSER, FIN) in,
short texts out, the idle timeout, and the state kept in `sms_conversation`. It
knows nothing of HTTP or Twilio: the webhook, the simulator and the tests all drive
the same `Engine`. When the last question is answered the turn says so, with the
answers, and the service hands them to the one door.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, assert_never

from gateway.consultations.schema import Definition, QuestionType, could_be_code, normalise_code
from gateway.contributions.intake import AnswerIn
from gateway.dialogue.engine import (
    AlreadyTookPart,
    AnswerNeeded,
    Ask,
    Changed,
    Closed,
    Command,
    Dialogue,
    DialogueState,
    Event,
    Finished,
    FirstQuestion,
    Help,
    NotOpenYet,
    PassedToReview,
    Stopped,
    Welcome,
)
from gateway.dialogue.engine import (
    Consultations as DialogueConsultations,
)
from gateway.dialogue.reading import fold
from gateway.i18n import N_, t
from gateway.sms import keywords, messages
from gateway.sms.models import ConversationStatus
from gateway.sms.repository import Conversation
from gateway.store.base import as_utc
from gateway.store.models import AnswerSource


class Consultations(DialogueConsultations, Protocol):
    """The dialogue's consultations, plus what SMS tells a resident who is lost."""

    def open_codes(self) -> list[str]:
        """Codes of the consultations open by SMS now."""
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
    # The answers for the door, when the conversation finished.
    answers: tuple[AnswerIn, ...] = ()


class Engine:
    def __init__(
        self,
        conversation: Conversation,
        consultations: Consultations,
        now: datetime,
        idle: timedelta,
    ) -> None:
        self.row = conversation
        self.consultations = consultations
        self.now = now
        self.idle = idle
        self.state = state_of(conversation)
        self.dialogue = Dialogue(consultations, now, AnswerSource.SMS)

    @property
    def language(self) -> str:
        return self.state.language

    def handle(self, text: str, has_media: bool = False) -> Turn:
        """Answer one inbound text (opt-out and flood limits are the service's job)."""
        turn = self._handle(text, has_media)
        keep(self.state, self.row)
        return turn

    def reset(self) -> None:
        self.state.reset()
        keep(self.state, self.row)

    def _handle(self, text: str, has_media: bool) -> Turn:
        language = keywords.language_switch(text)
        if self._expired():
            return self._after_expiry(text, language, has_media)
        if language is not None:
            events = self.dialogue.switch_language(self.state, language)
            return self._turn(events) if events else Turn([self._open_codes()])
        if self.state.active:
            return self._in_conversation(text, has_media)
        return self._idle(text, has_media)

    # Idle: waiting for a consultation code.

    def _idle(self, text: str, has_media: bool) -> Turn:
        if keywords.command(text) is not None:
            return Turn([f"{t(self.language, HELP_IDLE)} {self._open_codes()}"])
        definition = self._definition_named(text)
        if definition is None:
            if has_media and not text.strip():
                return Turn([t(self.language, MEDIA_ONLY), self._open_codes()])
            codes = self.consultations.open_codes()
            return Turn([messages.unknown_code(self.language, codes)])
        return self._turn(self.dialogue.start(self.state, definition))

    def _definition_named(self, text: str) -> Definition | None:
        code = named_code(text)
        return self.consultations.definition(code) if code is not None else None

    # Active: one question at a time.

    def _in_conversation(self, text: str, has_media: bool) -> Turn:
        named = self._definition_named(text) if not self._expects_text() else None
        if named is not None and named.code != self.state.consultation_code:
            return self._turn(self.dialogue.start(self.state, named))
        if named is not None:
            return self._turn(self.dialogue.command(self.state, Command.REPEAT))
        action = keywords.command(text)
        if action is not None:
            return self._turn(self.dialogue.command(self.state, action))
        if has_media and not text.strip():
            turn = self._turn(self.dialogue.command(self.state, Command.REPEAT))
            return Turn([t(self.language, MEDIA_ONLY), *turn.replies], turn.outcome)
        return self._turn(self.dialogue.answer(self.state, text))

    def _expects_text(self) -> bool:
        definition = self.consultations.definition(self.state.consultation_code or "")
        questions = definition.all_questions if definition is not None else []
        step = self.state.step
        return step < len(questions) and questions[step].type == QuestionType.TEXT

    # Expiry: an SMS conversation waits `idle` for an answer, then stops.

    def _expired(self) -> bool:
        if self.row.status == ConversationStatus.EXPIRED:
            return True
        last = self.row.last_message_at
        return self.state.active and last is not None and self.now - as_utc(last) > self.idle

    def _after_expiry(self, text: str, language: str | None, has_media: bool) -> Turn:
        code = self.state.consultation_code or self.row.consultation_code or ""
        self.reset()
        if language is not None:
            self.state.language = language
            return Turn([self._open_codes()])
        if self._definition_named(text) is not None:
            return self._idle(text, has_media)
        return Turn([t(self.language, EXPIRED, code=code)], Outcome.ABANDONED)

    # Rendering the dialogue's events as texts.

    def _turn(self, events: list[Event]) -> Turn:
        if any(isinstance(event, Welcome) for event in events):
            self.row.token = secrets.token_hex(16)  # the contribution's external id
        replies = [text for event in events for text in self._texts(event)]
        finished = [event for event in events if isinstance(event, Finished)]
        if finished:
            return Turn(replies, Outcome.FINISHED, finished[0].answers)
        return Turn(replies, _outcome(events))

    def _texts(self, event: Event) -> list[str]:
        language = self.language
        match event:
            case Welcome(definition, replacing):
                intro = messages.intro(definition, language)
                return [f"{intro} {t(language, REPLACING)}" if replacing else intro]
            case Ask(definition, question, hint=hint):
                text = messages.question_text(definition, question, language)
                return [f"{messages.hint(hint, language)}\n{text}" if hint else text]
            case Help():
                return [t(language, HELP)]
            case FirstQuestion():
                return [t(language, "This is the first question.")]
            case AnswerNeeded():
                return [t(language, "This question needs an answer.")]
            case PassedToReview():
                return [t(language, "Thank you. A person will read this answer.")]
            case AlreadyTookPart(definition):
                return [t(language, ALREADY, code=definition.code)]
            case NotOpenYet(definition) | Closed(definition):
                return [messages.not_open(definition, language, self.now) or ""]
            case Stopped(definition):
                return [t(language, STOPPED, code=definition.code)]
            case Changed(code):
                return [f"{t(language, CHANGED, code=code)} {self._open_codes()}"]
            case Finished():
                return []  # the service adds the receipt once the door has recorded them
            case _:
                assert_never(event)

    def _open_codes(self) -> str:
        return messages.open_codes(self.language, self.consultations.open_codes())


def named_code(text: str) -> str | None:
    """The consultation code a text may be, normalised ("budget" is BUDGET), or None."""
    code = fold(text).replace(" ", "").upper()
    return normalise_code(code) if 0 < len(code) <= 16 and could_be_code(code) else None


def _outcome(events: list[Event]) -> Outcome:
    if any(isinstance(event, Welcome) for event in events):
        return Outcome.STARTED
    if any(isinstance(event, Stopped | Changed) for event in events):
        return Outcome.ABANDONED
    return Outcome.REPLIED


def state_of(row: Conversation) -> DialogueState:
    """The dialogue's state as the conversation row keeps it."""
    return DialogueState(
        consultation_code=row.consultation_code,
        language=row.language,
        step=row.step,
        attempts=row.attempts,
        answers=dict(row.answers),
        started=row.status == ConversationStatus.ACTIVE,
    )


def keep(state: DialogueState, row: Conversation) -> None:
    """Write the dialogue's state back on the row; a conversation that ended is forgotten."""
    row.language = state.language
    if not state.started:
        forget(row)
        return
    row.status = ConversationStatus.ACTIVE
    row.consultation_code = state.consultation_code
    row.step = state.step
    row.attempts = state.attempts
    row.answers = state.answers


def forget(row: Conversation) -> None:
    """End a conversation: its answers, transcript and raw number go."""
    row.status = ConversationStatus.IDLE
    row.consultation_code = None
    row.token = None
    row.step = 0
    row.attempts = 0
    row.answers = {}
    row.transcript = []


MEDIA_ONLY = N_("I can only read text. Please write your answer.")
HELP = N_(
    "Answer with the number of your choice. BACK: previous question. SKIP: next question. "
    "DONE: stop the questions. STOP: no more SMS."
)
HELP_IDLE = N_("To answer a consultation by SMS, send its code.")
CHANGED = N_("The questions of %(code)s changed. Your answers are not kept.")
EXPIRED = N_(
    "You did not answer for a long time, so the questions stopped. Send %(code)s to start again."
)
ALREADY = N_("You already took part in %(code)s. Your first answers are kept. Thank you!")
REPLACING = N_("You already took part: your new answers will replace the old ones.")
STOPPED = N_("The questions are stopped. Your answers are not kept. Send %(code)s to start again.")
