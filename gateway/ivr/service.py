"""One call, step by step: from Twilio's webhook to the TwiML the caller hears.

The line keeps two states in the caller's row: the dialogue engine's (which question,
which answers) and its own (which menu, which page of options, which vote waits for
confirmation). Each step is stored under (CallSid, step number), so a retried
webhook gets the same TwiML and moves nothing. A finished consultation goes through
the one door; a dropped call leaves the caller's row as it was, and a call back from
the same number carries on from there.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from gateway import contacts
from gateway.consultations.offered import OfferedConsultations
from gateway.consultations.schema import Definition, IdentityKey, Policy, Question, QuestionType
from gateway.contributions.decisions import DecisionRefused, propose_reading
from gateway.contributions.door import attach_evidence, record_intake
from gateway.contributions.intake import (
    AnswerIn,
    EvidenceRef,
    Intake,
    IntakeRejected,
    IntakeResult,
    ParticipantRef,
)
from gateway.deps import door_policy
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
    NotOpenYet,
    PassedToReview,
    Stopped,
    Welcome,
)
from gateway.dialogue.reading import allowed_phrases, read_answer
from gateway.errors import NotFound
from gateway.identity import InvalidPhoneNumber, normal_identity, participant_key
from gateway.ivr import prompts
from gateway.ivr import repository as ivr
from gateway.ivr.fetching import hear_answer
from gateway.ivr.models import CallStatus, IvrCall, IvrCaller, RecordingStatus
from gateway.runtime import Runtime
from gateway.speech.engines import engine_name
from gateway.store import base
from gateway.store.base import utcnow
from gateway.store.models import AnswerSource, Channel, ContributionStatus
from gateway.twilio.twiml import Voice, say

log = logging.getLogger(__name__)
KEYS_MEDIA_TYPE = "application/vnd.portevoix.ivr-keys+json"
RECORDING_PREFIX = "recording:"
# An unclear menu choice is asked again this many times, then the call ends politely.
MENU_RETRIES = 2
WELCOME_TIMEOUT = 3
STEP_PATH = "/ivr/twilio/step"
SPEECH_ACTOR = "system:speech-to-text"
# A spoken closed answer that is unclear or unsure is asked again once, then the
# caller is asked to use the keypad: nothing said is ever guessed.
SPOKEN_TRIES = 2
SPOKEN_ANSWER_SECONDS = 5
SPOKEN_SILENCE_SECONDS = 3
TRANSCRIPT_REASON = "transcript of the recording: to check against the audio"
RECORDING_STATUS_PATH = "/ivr/twilio/recording-status"


@dataclass(frozen=True)
class Caller:
    """Who is calling: a phone hash, or for a withheld number a key of this call only."""

    key: str
    withheld: bool


@dataclass(frozen=True)
class Input:
    """What one step brought: keys pressed, a recording, or a return from a transfer."""

    digits: str = ""
    recording_sid: str | None = None
    recording_url: str | None = None
    recording_seconds: int | None = None
    after_transfer: bool = False
    # What Twilio's recogniser heard (SpeechResult) and how sure it was (Confidence).
    speech: str | None = None
    speech_confidence: float = 0.0


def identify(runtime: Runtime, call_sid: str, from_number: str) -> Caller:
    """Hash the caller's number as SMS does; a withheld or foreign-shaped id keys the call."""
    secret = runtime.settings.secret
    try:
        number = normal_identity(IdentityKey.PHONE, from_number)
    except InvalidPhoneNumber:
        return Caller("call:" + participant_key("phone_withheld", call_sid, secret), True)
    return Caller(participant_key("phone", number, secret), False)


# The webhooks.


def incoming_call(session: Session, runtime: Runtime, call_sid: str, caller: Caller) -> str:
    """Answer a new call (or Twilio's retry of it) with its first TwiML."""
    call = ivr.open_call(session, call_sid, caller.key, caller.withheld)
    replayed = ivr.step_reply(session, call_sid, 0)
    if replayed:
        return replayed
    return _step(session, runtime, call, 0, lambda line: line.first_step())


def step(session: Session, runtime: Runtime, call_sid: str, seq: int, given: Input) -> str:
    """Answer step `seq` of a call once; a retry gets the stored TwiML."""
    call = ivr.find_call(session, call_sid)
    if call is None:
        return _hang_up_unknown()
    replayed = ivr.step_reply(session, call_sid, seq)
    if replayed:
        return replayed
    call = ivr.call_for_update(session, call_sid)
    if seq != call.seq:
        # A step from another moment of the call: say the current prompt again.
        return _step(session, runtime, call, call.seq, lambda line: line.repeat())
    return _step(session, runtime, call, seq, lambda line: line.handle(given))


def call_ended(session: Session, call_sid: str, status: str, seconds: int | None) -> None:
    """A call-status callback: once per status; a call ended mid-way keeps its place."""
    if not ivr.record_call_event(session, call_sid, status):
        return
    call = ivr.find_call(session, call_sid)
    if call is None or status not in ("completed", "busy", "no-answer", "failed", "canceled"):
        return
    call.duration_seconds = seconds
    if call.status == CallStatus.IN_PROGRESS:
        call.status = CallStatus.ENDED
    session.flush()


def _step(session: Session, runtime: Runtime, call: IvrCall, seq: int, act: Any) -> str:
    ivr.claim_step(session, call.call_sid, seq)
    caller_row = ivr.caller_for_update(session, call.caller_key)
    line = Line(session, runtime, call, caller_row, seq)
    act(line)
    twiml = str(line.response)
    ivr.save_step_reply(session, call.call_sid, seq, twiml)
    call.seq = seq + 1
    caller_row.dialogue = line.state.to_json()
    caller_row.line = dict(line.stage)
    caller_row.last_call_at = line.now
    session.flush()
    return twiml


def _hang_up_unknown() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)


class Line:
    """One step of one call: reads the caller's state, renders what they hear next."""

    def __init__(
        self, session: Session, runtime: Runtime, call: IvrCall, row: IvrCaller, seq: int
    ) -> None:
        self.session = session
        self.runtime = runtime
        self.settings = runtime.settings
        self.call = call
        self.row = row
        self.seq = seq
        self.now = utcnow()
        self.state = DialogueState.from_json(row.dialogue) if row.dialogue else DialogueState()
        self.stage: dict[str, Any] = dict(row.line or {})
        self.known = OfferedConsultations(
            session, Channel.IVR, None if call.withheld else row.caller_key, self.now
        )
        self.dialogue = Dialogue(self.known, self.now, AnswerSource.DTMF)
        self.response = VoiceResponse()
        self.hung_up = False

    # Speaking.

    @property
    def language(self) -> str:
        return self.state.language

    @property
    def voice(self) -> Voice:
        voices = self.settings.ivr_voices
        name = voices.get(self.language) or next(iter(voices.values()), "alice")
        return Voice(self.language, name, self.settings.ivr_speech_rate)

    def say(self, *texts: str) -> None:
        for text in texts:
            if text:
                say(self.response, text, self.voice)

    def gather(
        self,
        text: str,
        num_digits: int | None = 1,
        timeout: int | None = None,
        hints: list[str] | None = None,
    ) -> None:
        """Ask with `text` and wait for keys (and speech when `hints` name the answers);
        silence also comes back, as an empty step."""
        speech = {"language": self.voice.speech_language, "hints": ", ".join(hints),
                  "speech_timeout": "auto"} if hints else {}  # fmt: skip
        gather = self.response.gather(
            action=self._next_url(),
            input="dtmf speech" if hints else "dtmf",
            timeout=timeout or self.settings.ivr_timeout_seconds,
            num_digits=num_digits,
            finish_on_key="",
            action_on_empty_result=True,
            **speech,
        )
        say(gather, text, self.voice)

    def hang_up(self, *texts: str) -> None:
        self.say(*texts)
        self.response.hangup()
        self.hung_up = True

    def _next_url(self, **extra: str) -> str:
        query = "&".join([f"n={self.seq + 1}", *(f"{k}={v}" for k, v in extra.items())])
        return f"{self.settings.public_url.rstrip('/')}{STEP_PATH}?{query}"

    # The first step: resume, or greet.

    def first_step(self) -> None:
        if self._can_resume():
            # What the call before noted (the key log, recorded and spoken answers) goes on.
            kept = {k: v for k, v in self.stage.items() if k in ("log", "spoken", "heard")}
            self.stage = {**kept, "stage": "question", "page": 0}
            self._log("resumed")
            self.say(prompts.resuming(self.language, self.state.step + 1))
            self._render(self.dialogue.command(self.state, Command.REPEAT))
            return
        self.state = DialogueState(language=self._languages()[0])
        self.stage = {"stage": "welcome"}
        self._welcome()

    def _can_resume(self) -> bool:
        if self.call.withheld or not self.state.active or self.row.last_call_at is None:
            return False
        within = timedelta(hours=self.settings.ivr_resume_hours)
        return base.as_utc(self.row.last_call_at) >= self.now - within

    def _welcome(self) -> None:
        may_opt_out = not self.call.withheld
        greeting = prompts.welcome(self.language, may_opt_out)
        languages = self._languages()
        if len(languages) > 1:
            self.stage = {"stage": "language", "tries": 0}
            self.gather(f"{greeting} {prompts.language_menu(languages)}")
        elif may_opt_out:
            self.gather(greeting, timeout=WELCOME_TIMEOUT)
        else:
            self.say(greeting)
            self._offer_consultations()

    def _languages(self) -> list[str]:
        return [code for code in self.settings.ivr_languages if code in prompts.LANGUAGE_NAMES]

    def repeat(self) -> None:
        """Say the current prompt again, with no answer counted."""
        self.handle(Input(digits="*"))

    # A step.

    def handle(self, given: Input) -> None:
        stage = self.stage.get("stage")
        self._log(given.digits or ("recording" if given.recording_sid else "silence"))
        if stage == "welcome":
            self._after_welcome(given.digits)
        elif stage == "language":
            self._choose_language(given.digits)
        elif stage == "menu":
            self._choose_consultation(given.digits)
        elif stage == "confirm":
            self._confirm(given.digits)
        elif stage == "recording":
            self._recorded(given)
        elif stage == "question" and self.state.active:
            self._answer(given)
        else:
            self.hang_up(prompts.stopped(self.language))

    def _after_welcome(self, digits: str) -> None:
        if digits == prompts.OPT_OUT_KEY:
            self._opt_out()
        self._offer_consultations()

    def _opt_out(self) -> None:
        contacts.opt_out(self.session, self.row.caller_key, Channel.IVR, "dtmf")
        self.say(prompts.opted_out(self.language))

    def _choose_language(self, digits: str) -> None:
        languages = self._languages()
        if digits == prompts.OPT_OUT_KEY and not self.call.withheld:
            self._opt_out()
            self._welcome_again()
            return
        chosen = _pick(digits, languages)
        if chosen is None:
            if self._retry():
                self.gather(prompts.language_menu(languages))
                return
            chosen = languages[0]  # The line's first language, rather than hanging up.
        self.state.language = chosen
        self._offer_consultations()

    def _welcome_again(self) -> None:
        self.stage = {"stage": "language", "tries": 0}
        self.gather(prompts.language_menu(self._languages()))

    def _retry(self) -> bool:
        tries = int(self.stage.get("tries", 0)) + 1
        self.stage = {**self.stage, "tries": tries}
        return tries <= MENU_RETRIES

    def _offer_consultations(self) -> None:
        open_now = self.known.open_definitions()
        if not open_now:
            self.hang_up(prompts.nothing_open(self.language))
        elif len(open_now) == 1:
            self._start(open_now[0])
        else:
            shown = open_now[:8]
            self.stage = {"stage": "menu", "codes": [d.code for d in shown], "tries": 0}
            self.gather(prompts.consultation_menu(self.language, shown))

    def _choose_consultation(self, digits: str) -> None:
        codes: list[str] = self.stage.get("codes", [])
        code = _pick(digits, codes) if digits != "*" else None
        definition = self.known.definition(code) if code else None
        if definition is not None:
            self._start(definition)
            return
        if digits != "*" and not self._retry():
            self.hang_up(prompts.goodbye_unclear(self.language))
            return
        shown = [d for c in codes if (d := self.known.definition(c)) is not None]
        hint = prompts.not_understood(self.language) if digits != "*" else ""
        self.gather(f"{hint} {prompts.consultation_menu(self.language, shown)}".strip())

    def _start(self, definition: Definition) -> None:
        self.row.token = secrets.token_hex(16)
        self.stage = {"stage": "question", "page": 0, "log": [], "spoken": []}
        self._render(self.dialogue.start(self.state, definition))

    # Questions.

    def _answer(self, given: Input) -> None:
        question = self._question()
        digits = given.digits
        if question is None:
            self._render(self.dialogue.command(self.state, Command.REPEAT))
        elif given.after_transfer or digits == "*":
            self.stage = {**self.stage, "page": 0}
            self._render(self.dialogue.command(self.state, Command.REPEAT))
        elif digits == "#":
            self._render(self.dialogue.command(self.state, Command.SKIP))
        elif digits == "0" and _zero_is_transfer(question):
            self._transfer()
        elif question.type != QuestionType.TEXT and not digits and self._spoke(given):
            self._spoken_answer(question, given)
        elif question.type == QuestionType.TEXT:
            self._text_offer(question, digits)
        else:
            self._closed_answer(question, digits)

    def _question(self) -> Question | None:
        definition = self.known.definition(self.state.consultation_code or "")
        if definition is None or self.state.step >= len(definition.all_questions):
            return None
        return definition.all_questions[self.state.step]

    def _closed_answer(self, question: Question, digits: str) -> None:
        keys = prompts.keys_of(question)
        page = int(self.stage.get("page", 0))
        if digits == prompts.MORE_KEY and keys.paged and page < len(keys.pages) - 1:
            self.stage = {**self.stage, "page": page + 1}
            self._ask_again(question)
            return
        text = _as_answer(question, digits.replace("#", ""))
        self._heard(question, None)
        if self._is_vote(question) and read_answer(question, text).clear:
            self._ask_confirmation(question, text)
            return
        self._render(self.dialogue.answer(self.state, text))

    def _is_vote(self, question: Question) -> bool:
        definition = self.known.definition(self.state.consultation_code or "")
        if definition is None or definition.kind != "vote" or question not in definition.questions:
            return False  # Profile questions (age, district) are not the vote.
        return question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)

    def _ask_confirmation(self, question: Question, text: str) -> None:
        keys = read_answer(question, text).value
        chosen = [
            o for o in question.options if o.key in (keys if isinstance(keys, list) else [keys])
        ]
        self.stage = {**self.stage, "stage": "confirm", "pending": text, "tries": 0}
        self.gather(prompts.confirm_vote(chosen, self.language))

    def _confirm(self, digits: str) -> None:
        pending = str(self.stage.get("pending", ""))
        question = self._question()
        if digits == "1" and question is not None:
            self.stage = {**self.stage, "stage": "question", "page": 0, "pending": None}
            self._render(self.dialogue.answer(self.state, pending))
            return
        if digits != "2" and question is not None and self._retry():
            self._ask_confirmation(question, pending)
            return
        # Changing, or no clear confirmation: nothing is counted, the question comes again.
        self.stage = {**self.stage, "stage": "question", "page": 0, "pending": None}
        self._render(self.dialogue.command(self.state, Command.REPEAT))

    def _ask_again(self, question: Question) -> None:
        page = int(self.stage.get("page", 0))
        self._gather_question(question, prompts.how_to_answer(question, self.language, page))

    def _gather_question(self, question: Question, text: str) -> None:
        listening = self._listening(question)
        if listening == "twilio":
            text = f"{text} {prompts.or_say(self.language)}"
            hints = allowed_phrases(question, self.language)
            self.gather(text, num_digits=_digits_expected(question), hints=hints)
        elif listening == "local":
            self._record_answer(text)
        else:
            self.gather(text, num_digits=_digits_expected(question))

    # Spoken closed answers.

    def _listening(self, question: Question) -> str:
        """Who hears a spoken answer to this question now: twilio, local or off."""
        mode = self.settings.ivr_spoken_answers
        if not question.spoken or self.stage.get("keypad") or question.type == QuestionType.TEXT:
            return "off"
        if mode == "local" and (
            _digits_expected(question) != 1 or engine_name(self.settings) == "none"
        ):
            return "off"  # A recording ends on one key: several keys need the keypad alone.
        return mode

    def _record_answer(self, text: str) -> None:
        self.stage = {**self.stage, "listening": True}
        self.say(text, prompts.say_after_beep(self.language))
        self.response.record(
            action=self._next_url(),
            max_length=SPOKEN_ANSWER_SECONDS,
            timeout=SPOKEN_SILENCE_SECONDS,
            finish_on_key="0123456789*#",
            play_beep=True,
        )
        # Twilio goes on to the next verb, not the action, when nothing was recorded:
        # silence comes back as an empty step, as after a <Gather>.
        self.response.redirect(self._next_url())

    def _spoke(self, given: Input) -> bool:
        local = bool(given.recording_url) and bool(self.stage.get("listening"))
        return given.speech is not None or local

    def _spoken_answer(self, question: Question, given: Input) -> None:
        """Take a clear and sure spoken answer; otherwise ask again, then for the keypad."""
        self.stage = {**self.stage, "listening": False}
        heard, confidence = given.speech or "", given.speech_confidence
        if given.speech is None and given.recording_url:
            transcript = hear_answer(self.runtime, given.recording_url, question, self.language)
            heard, confidence = transcript.text, transcript.confidence
        self._log(f"heard {heard!r} ({confidence:.2f})")
        reading = read_answer(question, heard)
        if not reading.clear or confidence < self.settings.ivr_speech_confidence:
            self._not_heard(question)
            return
        self._heard(question, confidence)
        if self._is_vote(question):
            self._ask_confirmation(question, heard)
            return
        self._render(self.dialogue.answer(self.state, heard, confidence=confidence))

    def _not_heard(self, question: Question) -> None:
        tries = int(self.stage.get("unheard", 0)) + 1
        keypad = tries >= SPOKEN_TRIES
        self.stage = {**self.stage, "unheard": tries, "keypad": keypad}
        language = self.language
        hint = prompts.use_keypad(language) if keypad else prompts.not_understood(language)
        page = int(self.stage.get("page", 0))
        how = prompts.how_to_answer(question, self.language, page)
        self._gather_question(question, f"{hint} {how}")

    def _heard(self, question: Question, confidence: float | None) -> None:
        """Note how this question was answered: aloud (with the confidence) or by keys."""
        heard = {k: v for k, v in self.stage.get("heard", {}).items() if k != question.id}
        if confidence is not None:
            heard[question.id] = confidence
        self.stage = {**self.stage, "heard": heard}

    # Spoken free text.

    def _text_offer(self, question: Question, digits: str) -> None:
        if digits != "1":
            self._render(self.dialogue.answer(self.state, ""))
            return
        seconds = min(question.max_length, 300) if question.max_length < 300 else 120
        self.stage = {**self.stage, "stage": "recording"}
        self.say(prompts.record_now(self.language, seconds))
        self.response.record(
            action=self._next_url(),
            max_length=seconds,
            timeout=self.settings.ivr_timeout_seconds,
            finish_on_key="#",
            play_beep=True,
            recording_status_callback=(
                f"{self.settings.public_url.rstrip('/')}{RECORDING_STATUS_PATH}"
            ),
            recording_status_callback_event="completed absent failed",
        )

    def _recorded(self, given: Input) -> None:
        self.stage = {**self.stage, "stage": "question"}
        question = self._question()
        if question is None or not given.recording_sid or not given.recording_seconds:
            self.say(prompts.nothing_recorded(self.language))
            self._render(self.dialogue.answer(self.state, ""))
            return
        ivr.add_recording(
            self.session,
            recording_sid=given.recording_sid,
            call_sid=self.call.call_sid,
            caller_key=self.row.caller_key,
            consultation_code=self.state.consultation_code or "",
            question_id=question.id,
            url=given.recording_url or "",
            duration_seconds=given.recording_seconds,
        )
        self.stage = {**self.stage, "spoken": [*self.stage.get("spoken", []), question.id]}
        text = RECORDING_PREFIX + given.recording_sid
        self._render(self.dialogue.answer(self.state, text, confidence=0.0))

    # The médiateur.

    def _transfer(self) -> None:
        settings = self.settings
        if self._mediator_available():
            self.say(prompts.transferring(self.language))
            self.response.dial(settings.ivr_mediator_number, timeout=30)
            self.response.redirect(self._next_url(after="transfer"))
            return
        opens = settings.ivr_mediator_opens.strftime("%H:%M")
        closes = settings.ivr_mediator_closes.strftime("%H:%M")
        self.say(prompts.mediator_closed(self.language, opens, closes))
        self._render(self.dialogue.command(self.state, Command.REPEAT))

    def _mediator_available(self) -> bool:
        settings = self.settings
        local = self.now.astimezone(ZoneInfo(settings.ivr_timezone))
        in_hours = settings.ivr_mediator_opens <= local.time() < settings.ivr_mediator_closes
        return in_hours and local.weekday() in settings.ivr_mediator_days

    @property
    def mediator_configured(self) -> bool:
        return bool(self.settings.ivr_mediator_number)

    # Rendering the engine's events.

    def _render(self, events: list[Event]) -> None:
        for event in events:
            self._render_one(event)
            if self.hung_up:
                return

    def _render_one(self, event: Event) -> None:
        language = self.language
        if isinstance(event, Welcome):
            self.say(prompts.introduction(
                event.definition, language, event.replacing, self.mediator_configured
            ))  # fmt: skip
        elif isinstance(event, Ask):
            self._render_ask(event)
        elif isinstance(event, AnswerNeeded):
            self.say(prompts.answer_needed(language))
        elif isinstance(event, PassedToReview):
            self.say(prompts.passed_to_review(language))
        elif isinstance(event, Finished):
            self._finish(event)
        else:
            self._render_end(event)

    def _render_ask(self, event: Ask) -> None:
        if event.attempt == 0:
            self.stage = {**self.stage, "page": 0, "unheard": 0, "keypad": False}
        page = int(self.stage.get("page", 0))
        text = prompts.question(event.question, self.language, event.number, event.total, page)
        self._gather_question(
            event.question, f"{prompts.hint(event.hint, self.language)} {text}".strip()
        )

    def _render_end(self, event: Event) -> None:
        language = self.language
        if isinstance(event, AlreadyTookPart):
            self.hang_up(prompts.already_took_part(event.definition, language))
        elif isinstance(event, NotOpenYet):
            self.hang_up(prompts.not_open_yet(language))
        elif isinstance(event, Closed):
            self.hang_up(prompts.closed(language))
        elif isinstance(event, Stopped):
            self.hang_up(prompts.stopped(language))
        elif isinstance(event, Changed):
            self.state.reset()
            self.hang_up(prompts.changed(language))

    # The end: through the door.

    def _finish(self, event: Finished) -> None:
        intake = self._intake(event)
        try:
            result = record_intake(self.session, intake, door_policy(self.runtime))
        except (IntakeRejected, NotFound) as error:
            log.warning("call for %s not recorded: %s", intake.consultation_code, error)
            self._forget()
            self.hang_up(prompts.not_saved(self.language))
            return
        self._tie_recordings(intake.consultation_code, result)
        self._forget()
        self.call.status = CallStatus.FINISHED
        self._read_receipt(result)

    def _intake(self, event: Finished) -> Intake:
        spoken = set(self.stage.get("spoken", []))
        heard: dict[str, float] = self.stage.get("heard", {})
        answers = [
            _spoken(a) if a.question_id in spoken else _aloud(a, heard.get(a.question_id))
            for a in event.answers
        ]
        keys = json.dumps(self.stage.get("log", []), ensure_ascii=False).encode()
        blob = self.runtime.evidence.put(keys, KEYS_MEDIA_TYPE)
        return Intake(
            consultation_code=event.definition.code,
            channel=Channel.IVR,
            external_id=f"ivr:{self.row.token}",
            answers=answers,
            participant=self._participant(event.definition),
            evidence=[EvidenceRef(blob.sha256, blob.media_type, blob.size, role="ivr_keys")],
            language=self.language,
            received_at=self.now,
        )

    def _participant(self, definition: Definition) -> ParticipantRef | None:
        if not self.call.withheld:
            return ParticipantRef(kind=IdentityKey.PHONE.value, key_hash=self.row.caller_key)
        if definition.identity.policy == Policy.MANY:
            return None
        # No number, no proof of one person, one voice: a key the door sends to review.
        return ParticipantRef(kind="phone_withheld", key_hash=self.row.caller_key[-64:])

    def _tie_recordings(self, code: str, result: IntakeResult) -> None:
        for recording in ivr.recordings_of(self.session, self.row.caller_key, code):
            recording.contribution_id = result.contribution_id
            if recording.status in (RecordingStatus.TRANSCRIBED, RecordingStatus.KEPT):
                link_recording(self.session, self.runtime, recording)

    def _forget(self) -> None:
        self.state.reset()
        self.row.token = None
        self.stage = {}

    def _read_receipt(self, result: IntakeResult) -> None:
        lines = prompts.receipt(
            self.language,
            result.receipt_code,
            review=result.status == ContributionStatus.REVIEW,
            duplicate=result.status == ContributionStatus.DUPLICATE,
        )
        self.say(lines[0])
        for line in lines[1:]:
            self.response.pause(length=1)
            self.say(line)
        self.response.hangup()
        self.hung_up = True

    def _log(self, what: str) -> None:
        entry = {
            "call": self.call.call_sid,
            "step": self.seq,
            "at": self.now.isoformat(),
            "in": what,
        }
        self.stage = {**self.stage, "log": [*self.stage.get("log", []), entry]}


def link_recording(session: Session, runtime: Runtime, recording: Any) -> None:
    """Tie a recording's audio and transcript to its contribution, once."""
    if recording.linked or recording.contribution_id is None:
        return
    refs = [
        EvidenceRef(
            sha256,
            "audio/wav" if role == "recording" else "application/json",
            runtime.evidence.path(sha256).stat().st_size,
            role=role,
            question_id=recording.question_id,
        )
        for sha256, role in (
            (recording.audio_sha256, "recording"),
            (recording.transcript_sha256, "transcript"),
        )
        if sha256 is not None
    ]
    attach_evidence(session, recording.contribution_id, refs, door_policy(runtime))
    recording.linked = True
    if recording.text:
        _propose_transcript(session, recording)


def _propose_transcript(session: Session, recording: Any) -> None:
    """The transcript becomes the answer's proposed value; a person still decides."""
    try:
        propose_reading(
            session,
            recording.contribution_id,
            recording.question_id,
            recording.text,
            confidence=recording.confidence or 0.0,
            actor=SPEECH_ACTOR,
            reason=TRANSCRIPT_REASON,
        )
    except (DecisionRefused, NotFound) as error:
        # Already decided by a person, or skipped: the transcript stays as evidence only.
        log.info("transcript of %s not proposed: %s", recording.recording_sid, error)


def _spoken(answer: AnswerIn) -> AnswerIn:
    """A recorded answer: no value until a person has listened (and read any transcript)."""
    return AnswerIn(
        question_id=answer.question_id,
        value="",
        raw=answer.raw,
        source=AnswerSource.SPEECH,
        confidence=0.0,
    )


def _aloud(answer: AnswerIn, confidence: float | None) -> AnswerIn:
    """A closed answer said aloud is marked as speech, with the recogniser's confidence."""
    if confidence is None:
        return answer
    return AnswerIn(
        question_id=answer.question_id,
        value=answer.value,
        raw=answer.raw,
        source=AnswerSource.SPEECH,
        confidence=min(answer.confidence, confidence),
    )


def _pick(digits: str, choices: list[str]) -> str | None:
    if len(digits) == 1 and digits.isdigit() and 1 <= int(digits) <= len(choices):
        return choices[int(digits) - 1]
    return None


def _zero_is_transfer(question: Question) -> bool:
    """0 transfers, except where 0 is itself an answer (a number from 0)."""
    if question.type == QuestionType.NUMBER:
        return question.min is not None and question.min > 0
    return True


def _digits_expected(question: Question) -> int | None:
    """How many keys end a Gather: one for a choice; more for numbers and several choices."""
    if question.type == QuestionType.MULTIPLE_CHOICE:
        return question.choice_limit
    if question.type == QuestionType.NUMBER:
        top = int(question.max) if question.max is not None else 9999
        return len(str(abs(top)))
    return 1


def _as_answer(question: Question, digits: str) -> str:
    """Keys as the answer reader takes them: options by position, numbers as typed."""
    if question.type not in (
        QuestionType.SINGLE_CHOICE,
        QuestionType.YES_NO,
        QuestionType.MULTIPLE_CHOICE,
    ):
        return digits
    keys = prompts.keys_of(question)
    positions = {o.key: str(i) for i, o in enumerate(question.options, 1)}
    read = [positions[keys.digits[d].key] if d in keys.digits else d for d in digits]
    # An unknown key stays as typed: the reader finds it unclear and the question comes again.
    return " ".join(read)
