"""A resident at a kiosk: the dialogue engine's state kept server-side, screen by screen.

The browser holds a random cookie and nothing else: every post is read against the
state stored here, checked again (the question it answers, the options it names,
how many), and a pass through a consultation is recorded once whatever is replayed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy.orm import Session

from gateway.config import Settings
from gateway.consultations import repository as consultations
from gateway.consultations.schema import Definition, IdentityKey, Policy, Question, QuestionType
from gateway.contributions.door import record_intake
from gateway.contributions.intake import (
    DoorPolicy,
    Intake,
    IntakeResult,
    ParticipantRef,
    fingerprint,
)
from gateway.dialogue.engine import Ask, Command, Dialogue, DialogueState, Event
from gateway.errors import PortevoixError
from gateway.i18n import N_
from gateway.kiosk import assist, repository
from gateway.kiosk.models import Consent, Kiosk, KioskSession
from gateway.store.base import as_utc, utcnow
from gateway.store.models import AnswerSource, Channel
from gateway.text import check_text
from gateway.validation import InvalidAnswer, normalise

KIOSK_ID_BYTES = 6


class Refused(PortevoixError):
    """A post the kiosk will not take; `message` is a catalogue id for the resident."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


CHOOSE = N_("Choose an answer, then tap Next.")
NOT_POSSIBLE = N_("This answer is not possible. Please choose again.")
STALE = N_("This page was out of date. Here is your question.")


@dataclass(frozen=True)
class Place:
    """Where the pages are served: a kiosk (`/kiosk/{id}`) or online (`/c/{code}`)."""

    base: str
    channel: Channel
    kiosk: Kiosk | None = None

    @classmethod
    def at_kiosk(cls, kiosk: Kiosk) -> Place:
        return cls(f"/kiosk/{kiosk.id}", Channel.KIOSK, kiosk)

    @classmethod
    def online(cls, code: str) -> Place:
        return cls(f"/c/{code}", Channel.ONLINE)


class KioskConsultations:
    """The consultations a kiosk (or the online pages) offers; the door judges who took part."""

    def __init__(self, session: Session, channel: Channel = Channel.KIOSK) -> None:
        self.session = session
        self.channel = channel

    def definition(self, code: str) -> Definition | None:
        consultation = consultations.find(self.session, code)
        if consultation is None:
            return None
        definition = consultations.definition_of(consultation)
        return definition if self.channel in definition.channels else None

    def took_part(self, definition: Definition) -> bool:
        return False

    def open_now(self) -> list[Definition]:
        found = [consultations.definition_of(c) for c in consultations.list_all(self.session)]
        now = utcnow()
        return [d for d in found if self.channel in d.channels and d.is_open(now)]


def register(session: Session, name: str, place: str) -> Kiosk:
    """Register a kiosk under a random id, the last part of its address."""
    name, place = check_text(name.strip(), 100), check_text(place.strip(), 200)
    if not name or not place:
        raise PortevoixError("a kiosk needs a name and a place")
    return repository.add_kiosk(session, secrets.token_urlsafe(KIOSK_ID_BYTES), name, place)


def lifetime(settings: Settings, channel: Channel = Channel.KIOSK) -> timedelta:
    """How long a session lives untouched: at a kiosk, the idle period then the countdown."""
    if channel == Channel.ONLINE:
        return timedelta(minutes=settings.online_session_minutes)
    return timedelta(seconds=settings.kiosk_idle_seconds + settings.kiosk_warning_seconds)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def resume(
    session: Session, place: Place, token: str | None, settings: Settings
) -> KioskSession | None:
    """The live session behind `token`; an idle one is wiped and counts as none."""
    kiosk_id = place.kiosk.id if place.kiosk else None
    row = repository.find_session(session, kiosk_id, _hash(token)) if token else None
    if row is None:
        return None
    now = utcnow()
    if now - as_utc(row.last_seen_at) >= lifetime(settings, place.channel):
        end(session, row)
        return None
    row.last_seen_at = now
    return row


def begin(
    session: Session, place: Place, row: KioskSession | None, code: str, language: str
) -> tuple[str | None, KioskSession | None, list[Event]]:
    """Start `code` for a resident; a new cookie token when there was no session."""
    offered = KioskConsultations(session, place.channel)
    definition = offered.definition(code)
    if definition is None:
        raise Refused(NOT_POSSIBLE)
    state = DialogueState(language=language)
    events = _dialogue(session, row, place.channel).start(state, definition)
    if not state.active:
        return None, row, events
    token, row = opened(session, place, row)
    row.state, row.run_id, row.receipt = state.to_json(), secrets.token_hex(16), None
    if place.kiosk is not None:
        # A kiosk is shared: whoever starts next proves their own phone, if they wish.
        row.phone_hash = None
    return token, row, events


def opened(
    session: Session, place: Place, row: KioskSession | None
) -> tuple[str | None, KioskSession]:
    """The session, opened under a new cookie token when there was none."""
    if row is not None:
        return None, row
    token = secrets.token_urlsafe(32)
    kiosk_id = place.kiosk.id if place.kiosk else None
    row = repository.add_session(
        session, KioskSession(token_hash=_hash(token), kiosk_id=kiosk_id, state={})
    )
    return token, row


def _dialogue(
    session: Session, row: KioskSession | None, channel: Channel | None = None
) -> Dialogue:
    """The engine; answers keyed in from a paper form are typed, the others touched."""
    mandate = assist.mandate_of(session, row) if row is not None else None
    paper = mandate is not None and mandate.consent == Consent.PAPER
    source = AnswerSource.TYPED if paper else AnswerSource.TOUCH
    online = row is not None and row.kiosk_id is None
    channel = channel or (Channel.ONLINE if online else Channel.KIOSK)
    return Dialogue(KioskConsultations(session, channel), utcnow(), source)


def state_of(row: KioskSession) -> DialogueState:
    return DialogueState.from_json(row.state)


def current(session: Session, row: KioskSession) -> Ask | None:
    """The question the resident stands at, or None if there is none."""
    state = state_of(row)
    if not state.active:
        return None
    events = _dialogue(session, row).command(state, Command.REPEAT)
    row.state = state.to_json()
    return next((e for e in events if isinstance(e, Ask)), None)


def answer(session: Session, row: KioskSession, question_id: str, values: list[str]) -> list[Event]:
    """Take the answer to the current question, checked again against it."""
    ask = current(session, row)
    if ask is None or ask.question.id != question_id:
        raise Refused(STALE)
    value = _read(ask.question, values)
    state = state_of(row)
    events = _dialogue(session, row).give(state, value, " ".join(values))
    row.state = state.to_json()
    return events


def _read(question: Question, values: list[str]) -> object:
    """The form's values as the question's answer; anything a screen cannot send is refused."""
    values = [v for v in values if v.strip()]
    if not values:
        raise Refused(CHOOSE)
    if question.type != QuestionType.MULTIPLE_CHOICE and len(values) > 1:
        raise Refused(NOT_POSSIBLE)
    raw: object = values if question.type == QuestionType.MULTIPLE_CHOICE else values[0]
    try:
        if isinstance(raw, str):
            check_text(raw, question.max_length, multiline=True)
        return normalise(question, raw)
    except (InvalidAnswer, ValueError):
        raise Refused(NOT_POSSIBLE) from None


def command(session: Session, row: KioskSession, command: Command) -> list[Event]:
    """Skip or go back; back from the summary reopens the last question."""
    state = state_of(row)
    dialogue = _dialogue(session, row)
    if command == Command.BACK and state.finished and not row.receipt:
        events = dialogue.reopen(state)
    elif state.active:
        events = dialogue.command(state, command)
    else:
        return []
    row.state = state.to_json()
    return events


def send(
    session: Session, place: Place, row: KioskSession, policy: DoorPolicy, assist_cap: int
) -> IntakeResult:
    """Record the finished answers through the door, once per pass.

    With a médiateur, the contribution is flagged with them and counted against
    their cap; without the resident's consent for this consultation, nothing is sent.
    """
    state = state_of(row)
    if not state.finished or row.run_id is None:
        raise Refused(STALE)
    code = state.consultation_code or ""
    mandate = assist.mandate_of(session, row)
    if row.mediateur_id is not None and not assist.covers(session, row, code):
        raise Refused(STALE)
    if mandate is not None:
        # The consultation may have dropped paper since the form was begun.
        assist.require_channel(session, code, mandate.consent)
    kiosk = place.kiosk
    helper = assist.before_send(session, kiosk, mandate, assist_cap) if mandate and kiosk else None
    intake = Intake(
        consultation_code=code,
        channel=assist.channel(mandate) if kiosk else Channel.ONLINE,
        external_id=f"{kiosk.id if kiosk else 'web'}:{row.run_id}",
        answers=_dialogue(session, row).answers_for_door(state),
        participant=_participant(session, row, code, row.run_id),
        assisted_by=assist.assisted_by(helper),
        language=state.language,
    )
    result = record_intake(session, replace(intake, fingerprint=fingerprint(intake)), policy)
    if mandate is not None and kiosk is not None and not result.replayed:
        assist.used(session, kiosk, mandate, result.contribution_id)
    row.receipt = result.receipt_code
    row.receipt_status = result.status.value
    return result


def _participant(
    session: Session, row: KioskSession, code: str, run_id: str
) -> ParticipantRef | None:
    """The phone a one-time code proved (online, or given at a kiosk), keyed as SMS keys it;
    else anonymous."""
    if row.phone_hash is not None:
        return ParticipantRef(kind=IdentityKey.PHONE.value, key_hash=row.phone_hash)
    return _anonymous(session, code, run_id)


def _anonymous(session: Session, code: str, run_id: str) -> ParticipantRef | None:
    """Nobody is identified at a kiosk alone: under one person, one voice, a key the
    definition does not list, so the door sends the contribution to a médiateur."""
    consultation = consultations.find(session, code)
    if consultation is None:
        return None
    if consultations.definition_of(consultation).identity.policy != Policy.ONE_PER_PERSON:
        return None
    return ParticipantRef(
        kind="kiosk_anonymous", key_hash=hashlib.sha256(run_id.encode()).hexdigest()
    )


def end(session: Session, row: KioskSession | None) -> None:
    """Wipe the resident's session: answers, progress, receipt, the médiateur and the mandate."""
    if row is not None:
        assist.close(session, row)
        repository.delete_session(session, row)


def purge_idle(session: Session, settings: Settings) -> int:
    """Wipe every session left idle, ending its mandate."""
    now = utcnow()
    rows = repository.idle_sessions(
        session,
        now - lifetime(settings, Channel.KIOSK),
        now - lifetime(settings, Channel.ONLINE),
    )
    for row in rows:
        assist.close(session, row)
    session.flush()
    repository.delete_codes_before(session, now - timedelta(days=1))
    return repository.delete_sessions(session, [row.id for row in rows])
