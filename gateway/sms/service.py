"""One inbound SMS, from the MessageSid log to the replies, in the caller's transaction.

Order matters and is the product's promise: a retry gets the same replies; an
opt-out is honoured before anything else; an opted-out number gets nothing; a
flood gets one polite reply; only then does the conversation engine run, and a
finished conversation goes through the one door.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from gateway import contacts
from gateway.consultations.offered import OfferedConsultations
from gateway.consultations.schema import Definition, IdentityKey
from gateway.contributions.door import record_intake
from gateway.contributions.intake import (
    AnswerIn,
    EvidenceRef,
    Intake,
    IntakeRejected,
    IntakeResult,
    ParticipantRef,
)
from gateway.deps import door_policy
from gateway.errors import NotFound
from gateway.evidence import EvidenceTooLarge
from gateway.i18n import N_, t
from gateway.identity import InvalidPhoneNumber, normal_identity, participant_key
from gateway.runtime import Runtime
from gateway.sms import keywords, messages
from gateway.sms import repository as sms
from gateway.sms.conversation import Engine, Outcome, forget, named_code
from gateway.sms.models import ConversationStatus
from gateway.sms.repository import Conversation
from gateway.store.base import utcnow
from gateway.store.models import Channel, ContributionStatus
from gateway.text import clean_text

log = logging.getLogger(__name__)
TRANSCRIPT_MEDIA_TYPE = "application/vnd.portevoix.sms-transcript+json"
# Twilio delivers at most 1,600 characters in one inbound message.
MAX_BODY = 1600


@dataclass(frozen=True)
class InboundSms:
    message_sid: str
    sender: str
    body: str
    num_media: int = 0


def read_body(text: str) -> str:
    """What a resident texted, bounded, without the control characters nobody can see."""
    return clean_text(text, MAX_BODY, multiline=True)


@dataclass(frozen=True)
class Reply:
    messages: list[str]
    outcome: str
    replayed: bool = False
    # Transcripts the door linked as evidence, for `keep_transcripts` once committed.
    transcripts: tuple[bytes, ...] = ()


def handle_inbound(session: Session, runtime: Runtime, message: InboundSms) -> Reply:
    """Answer one inbound SMS once; flush, let the caller commit, then `keep_transcripts`."""
    try:
        number = normal_identity(IdentityKey.PHONE, message.sender)
    except InvalidPhoneNumber:
        # Short codes and alphanumeric senders cannot take part or be answered.
        return Reply([], "not_a_phone")
    phone_hash = participant_key("phone", number, runtime.settings.secret)
    now = utcnow()
    since = now - timedelta(minutes=runtime.settings.sms_flood_window_minutes)
    # Whether the message may reach the conversation, so that PostgreSQL opens it along.
    within = None if keywords.is_opt_out(message.body) else runtime.settings.sms_flood_limit
    # The consultation the text may name is read along, for the conversation engine.
    named = named_code(message.body) if within is not None else None
    claim = sms.claim_and_stand(session, message.message_sid, phone_hash, now, since, within, named)
    if claim is None:
        previous = sms.inbound(session, message.message_sid)
        return Reply(previous.replies or [] if previous else [], "replay", replayed=True)
    reply, conversation = _respond(session, runtime, message, phone_hash, claim, now)
    sms.record_reply(session, claim.inbound_id, reply.messages, reply.outcome, conversation)
    return reply


def keep_transcripts(runtime: Runtime, reply: Reply) -> None:
    """Write the transcripts of a committed reply, after the commit: outside the write lock.

    A crash in between leaves an evidence row without its file (the answers are
    stored), never a file that no row would ever purge.
    """
    for transcript in reply.transcripts:
        try:
            runtime.evidence.put(transcript, TRANSCRIPT_MEDIA_TYPE)
        except OSError:
            # The answers are stored: the resident still gets the receipt.
            log.exception("SMS transcript not written to the evidence store")


def _respond(
    session: Session,
    runtime: Runtime,
    message: InboundSms,
    phone_hash: str,
    claim: sms.Claim,
    now: datetime,
) -> tuple[Reply, Conversation | None]:
    """The reply, and the conversation to write back with it if the message changed one."""
    if keywords.is_opt_out(message.body):
        replies, conversation = _opt_out(session, message.body, phone_hash)
        return Reply(_plain(replies), "opted_out"), conversation
    if claim.standing.opted_out:
        if keywords.is_opt_in(message.body):
            return Reply(_plain(_opt_in(session, phone_hash, now)), "opted_in"), None
        return Reply([], "suppressed"), None
    flood = _flood_reply(session, runtime, phone_hash, claim.standing.recent)
    if flood is not None:
        return Reply(_plain(flood), "rate_limited"), None
    conversation = claim.conversation or sms.conversation_for_update(session, phone_hash)
    return _converse(session, runtime, message, conversation, phone_hash, now), conversation


def _converse(
    session: Session,
    runtime: Runtime,
    message: InboundSms,
    conversation: Conversation,
    phone_hash: str,
    now: datetime,
) -> Reply:
    known = OfferedConsultations(session, Channel.SMS, phone_hash, now)
    engine = Engine(conversation, known, now, _idle(runtime))
    turn = engine.handle(message.body, has_media=message.num_media > 0)
    _remember(conversation, message, now, turn.outcome)
    definition = known.definition(conversation.consultation_code or "")
    replies, transcripts = turn.replies, tuple[bytes, ...]()
    if turn.outcome == Outcome.FINISHED:
        receipt, transcripts = _finish(
            session, runtime, engine, turn.answers, definition, phone_hash, now
        )
        replies = [*replies, receipt]
    texts = [messages.fit(text, definition) for text in replies]
    return Reply(texts, turn.outcome.value, transcripts=transcripts)


def _plain(replies: list[str]) -> list[str]:
    """Messages outside any consultation always go out in GSM-7, the cheapest."""
    return [messages.fit(text, None) for text in replies]


def _opt_out(session: Session, body: str, phone_hash: str) -> tuple[list[str], Conversation | None]:
    """The confirmation, and the number's conversation, forgotten, to write back."""
    keyword = keywords.opt_out_keyword(body) or ""
    first = contacts.opt_out(session, phone_hash, Channel.SMS, keyword)
    conversation = sms.conversation_row(session, phone_hash)
    language = conversation.language if conversation is not None else "fr"
    if keyword in keywords.ENGLISH_OPT_OUT:
        language = "en"
    if conversation is not None:
        forget(conversation)
    if not first:
        return [], conversation  # Confirmed once already: never another message until START.
    text = t(language, "You will not get SMS from us any more. To start again, send START.")
    return [text], conversation


def _opt_in(session: Session, phone_hash: str, now: datetime) -> list[str]:
    contacts.opt_in(session, phone_hash)
    language = sms.language_of(session, phone_hash) or "fr"
    codes = OfferedConsultations(session, Channel.SMS, phone_hash, now).open_codes()
    welcome = t(language, "Welcome back: you can get our SMS again.")
    return [f"{welcome} {messages.open_codes(language, codes)}"]


def _flood_reply(
    session: Session, runtime: Runtime, phone_hash: str, count: int
) -> list[str] | None:
    settings = runtime.settings
    if count <= settings.sms_flood_limit:
        return None
    if count > settings.sms_flood_limit + 1:
        return []  # Told once per window; more replies would only cost the commune.
    language = sms.language_of(session, phone_hash) or "fr"
    message = N_(
        "You sent many messages. Please wait %(minutes)s minutes, then send your answer again."
    )
    return [t(language, message, minutes=settings.sms_flood_window_minutes)]


def _idle(runtime: Runtime) -> timedelta:
    return timedelta(minutes=runtime.settings.sms_idle_minutes)


def _remember(
    conversation: Conversation, message: InboundSms, now: datetime, outcome: Outcome
) -> None:
    conversation.last_message_at = now
    if conversation.status != ConversationStatus.ACTIVE and outcome != Outcome.FINISHED:
        return
    if outcome == Outcome.STARTED:
        conversation.transcript = []
    entry = {"sid": message.message_sid, "at": now.isoformat(), "body": message.body}
    conversation.transcript = [*conversation.transcript, entry]


def _finish(
    session: Session,
    runtime: Runtime,
    engine: Engine,
    answers: Sequence[AnswerIn],
    definition: Definition | None,
    phone_hash: str,
    now: datetime,
) -> tuple[str, tuple[bytes, ...]]:
    """The receipt, and the transcript to write once the door's records are committed."""
    conversation = engine.row
    language = conversation.language
    code = conversation.consultation_code or ""
    transcript = _transcript(runtime, conversation)
    intake = _intake(conversation, answers, phone_hash, now, transcript)
    summary = messages.vote_summary(definition, intake.answers, language)
    engine.reset()
    try:
        result = record_intake(session, intake, door_policy(runtime))
    except (IntakeRejected, NotFound) as error:
        log.warning("SMS conversation for %s not recorded: %s", code, error)
        return _not_saved(definition, code, language, now), ()
    receipt = _receipt(result, language)
    # A resident sees what was counted, so a misread vote can be noticed and reported.
    counted = summary is not None and result.status != ContributionStatus.DUPLICATE
    linked = () if result.replayed else (transcript,)
    return (f"{summary}\n{receipt}" if counted else receipt), linked


def _not_saved(definition: Definition | None, code: str, language: str, now: datetime) -> str:
    # Closed while the resident answered: starting again would only be refused.
    closed = messages.not_open(definition, language, now) if definition is not None else None
    if closed is not None:
        return closed
    message = N_("Sorry, your answers could not be saved. Send %(code)s to start again.")
    return t(language, message, code=code)


def _transcript(runtime: Runtime, conversation: Conversation) -> bytes:
    transcript = json.dumps(conversation.transcript, ensure_ascii=False).encode()
    limit = runtime.evidence.max_bytes
    if len(transcript) > limit:
        raise EvidenceTooLarge(
            f"evidence of {len(transcript)} bytes is over the limit of {limit} bytes"
        )
    return transcript


def _intake(
    conversation: Conversation,
    answers: Sequence[AnswerIn],
    phone_hash: str,
    now: datetime,
    transcript: bytes,
) -> Intake:
    sha256 = hashlib.sha256(transcript).hexdigest()
    return Intake(
        consultation_code=conversation.consultation_code or "",
        channel=Channel.SMS,
        external_id=f"sms:{conversation.token}",
        answers=list(answers),
        participant=ParticipantRef(kind=IdentityKey.PHONE.value, key_hash=phone_hash),
        evidence=[
            EvidenceRef(sha256, TRANSCRIPT_MEDIA_TYPE, len(transcript), role="sms_transcript")
        ],
        language=conversation.language,
        received_at=now,
    )


def _receipt(result: IntakeResult, language: str) -> str:
    if result.status == ContributionStatus.DUPLICATE:
        # Not counted, so no receipt: a code would suggest these answers count.
        return t(
            language,
            "Thank you. You already took part, so your first answers are kept. "
            "These new answers do not count.",
        )
    if result.status == ContributionStatus.REVIEW:
        message = N_(
            "Thank you! A person at the town hall will read your answers. Receipt: %(receipt)s"
        )
    else:
        message = N_("Thank you! Your answers are saved. Your receipt code: %(receipt)s")
    return t(language, message, receipt=result.receipt_code)
