"""SMS queries: conversations, the inbound log, opt-outs, outbound messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    bindparam,
    delete,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from gateway import contacts
from gateway.consultations import repository as consultations
from gateway.sms.models import (
    FINAL_OUTBOUND,
    ConversationStatus,
    OutboundStatus,
    SmsConversation,
    SmsInbound,
    SmsOutbound,
    SmsStatusEvent,
)
from gateway.store import direct
from gateway.store.base import utcnow
from gateway.store.session import (
    core_connection,
    insert_or_ignore,
    insert_or_lock,
    is_postgresql,
)


@dataclass(slots=True)
class Conversation:
    """Where one number stands: its `sms_conversation` row as a plain object.

    Read and written by this module's Core statements: a message changes it without
    the ORM's bookkeeping on every attribute, and `record_reply` writes it back.
    """

    # None until `record_reply` writes it: a number's first message on SQLite.
    id: int | None
    phone_hash: str
    language: str
    status: str
    consultation_code: str | None
    token: str | None
    step: int
    attempts: int
    answers: dict[str, Any]
    transcript: list[Any]
    last_message_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Standing:
    """What decides whether a message reaches the conversation at all."""

    opted_out: bool
    # Messages from the number since the start of the flood window, this one included.
    recent: int


@dataclass(frozen=True)
class Claim:
    """A new message's log row, and the number's standing read along."""

    inbound_id: int
    standing: Standing
    # The number's conversation, read along. On PostgreSQL it is locked, and None when
    # the message will not reach it; on SQLite a new number's is not written yet.
    conversation: Conversation | None = None


def claim_and_stand(
    session: Session,
    message_sid: str,
    phone_hash: str,
    now: datetime,
    since: datetime,
    converse_within: int | None,
    named_code: str | None = None,
) -> Claim | None:
    """Log a new MessageSid and read the number's standing; None for a retry. One statement.

    On PostgreSQL the same statement also locks the number's conversation, created if
    new, when the message will reach it: the number has not opted out and sent at
    most `converse_within` messages in the window (None: the message never does).
    The consultation the message may name (`named_code`) is read along.
    """
    params = {"message_sid": message_sid, "phone_hash": phone_hash, "now": now, "since": since,
              "named_code": named_code, "named_key": phone_hash}  # fmt: skip
    if not is_postgresql(session):
        claimed = direct.first(session, _CLAIM_WITH_STANDING, params)
        if claimed is None:
            return None
        consultations.note_named(session, claimed, named_code, phone_hash)
        # A new number's conversation is written once, with the reply (the transaction
        # holds the write lock: nobody else writes it meanwhile).
        conversation = _opened(session, claimed) or _new_conversation(phone_hash, now)
        return Claim(claimed["inbound_id"], _standing(claimed), conversation)
    within = -1 if converse_within is None else converse_within
    [row] = direct.rows(session, _CLAIM_AND_OPEN, {**params, "within": within})
    if row["inbound_id"] is None:
        return None
    consultations.note_named(session, row, named_code, phone_hash)
    return Claim(row["inbound_id"], _standing(row), _opened(session, row))


def _standing(row: Mapping[Any, Any]) -> Standing:
    return Standing(opted_out=bool(row["opted_out"]), recent=int(row["recent"]))


def _opened(session: Session, row: Mapping[Any, Any]) -> Conversation | None:
    return None if row["id"] is None else _conversation(session, row)


def record_reply(
    session: Session,
    inbound_id: int,
    replies: list[str],
    outcome: str,
    conversation: Conversation | None = None,
) -> None:
    """Keep the replies a message got, for its retries, and write back where its
    conversation (if it reached one) now stands: one statement on PostgreSQL."""
    params = {"inbound_id": inbound_id, "new_replies": replies, "new_outcome": outcome}
    if conversation is None:
        direct.rows(session, _REPLY, params)
    elif is_postgresql(session):
        direct.rows(session, _REPLY_AND_SAVE, {**params, **_state(conversation)})
    else:
        if conversation.id is None:
            created = {"new_phone_hash": conversation.phone_hash, "new_created_at": utcnow()}
            [saved] = direct.rows(
                session, _CREATE_CONVERSATION, {**_state(conversation), **created}
            )
            conversation.id = saved["id"]
        else:
            direct.rows(session, _SAVE_CONVERSATION, _state(conversation))
        direct.rows(session, _REPLY, params)


def inbound(session: Session, message_sid: str) -> SmsInbound | None:
    return session.scalar(select(SmsInbound).where(SmsInbound.message_sid == message_sid))


def conversation_for_update(session: Session, phone_hash: str) -> Conversation:
    """The number's conversation, created if new, locked against a concurrent message."""
    fresh = _new_conversation(phone_hash, utcnow())
    written = {name: getattr(fresh, name) for name in _CREATED}
    row = insert_or_lock(session, SmsConversation, "phone_hash", _CONSULTATION_VERSION, **written)
    return _conversation(session, row)


# What a new conversation's row is written with; the rest stays empty.
_CREATED = ("phone_hash", "language", "status", "step", "attempts", "answers", "transcript",
            "created_at", "updated_at")  # fmt: skip


def _new_conversation(phone_hash: str, now: datetime) -> Conversation:
    """Where a number that never texted stands."""
    return Conversation(
        id=None, phone_hash=phone_hash, language="fr", status=ConversationStatus.IDLE,
        consultation_code=None, token=None, step=0, attempts=0, answers={}, transcript=[],
        last_message_at=None, created_at=now, updated_at=now,
    )  # fmt: skip


def _conversation(session: Session, row: Mapping[Any, Any]) -> Conversation:
    # The conversation's consultation was read along: the message reads it no more.
    consultations.note_version(session, row, row["consultation_code"])
    return Conversation(**{name: row[name] for name in _CONVERSATION_COLUMNS})


def conversation_row(session: Session, phone_hash: str) -> Conversation | None:
    """The number's conversation if it has one, to give to `record_reply` once changed."""
    row = core_connection(session).execute(_CONVERSATION, {"phone_hash": phone_hash})
    found = row.mappings().first()
    return None if found is None else Conversation(**found)


def _state(conversation: Conversation) -> dict[str, Any]:
    values = {f"new_{name}": getattr(conversation, name) for name in _CONVERSATION_STATE}
    return {"conversation_id": conversation.id, "new_updated_at": utcnow(), **values}


# Built once: constructing a statement costs more than running it.
_PHONE: BindParameter[str] = bindparam("phone_hash")
_CONVERSATION_COLUMNS = tuple(column.key for column in SmsConversation.__table__.columns)
_CONSULTATION_VERSION = consultations.version_columns(
    SmsConversation.__tablename__, "consultation_code"
)
_CONVERSATION = select(*SmsConversation.__table__.columns).where(
    SmsConversation.phone_hash == _PHONE
)
# What a message may change; the UPDATE sets these columns (and updated_at).
_CONVERSATION_STATE = (
    "language",
    "status",
    "consultation_code",
    "token",
    "step",
    "attempts",
    "answers",
    "transcript",
    "last_message_at",
)
_SAVE_CONVERSATION = (
    update(SmsConversation)
    .where(SmsConversation.id == bindparam("conversation_id"))
    .values({name: bindparam(f"new_{name}") for name in (*_CONVERSATION_STATE, "updated_at")})
)
_CREATE_CONVERSATION = (
    sqlite_insert(SmsConversation)
    .values(
        {name: bindparam(f"new_{name}")
         for name in ("phone_hash", *_CONVERSATION_STATE, "created_at", "updated_at")}
    )
    .returning(SmsConversation.id)
)  # fmt: skip
_REPLY = (
    update(SmsInbound)
    .where(SmsInbound.id == bindparam("inbound_id"))
    .values(replies=bindparam("new_replies"), outcome=bindparam("new_outcome"))
)
# PostgreSQL runs a data-modifying CTE whatever the statement reads of it.
_REPLY_AND_SAVE = _REPLY.add_cte(_SAVE_CONVERSATION.cte("saved"))

_RECENT = (
    select(func.count())
    .select_from(SmsInbound)
    .where(SmsInbound.phone_hash == _PHONE, SmsInbound.received_at >= bindparam("since"))
)
# SQLite: the log row, the standing and the number's conversation, if it has one, in
# one INSERT … RETURNING (the transaction holds the write lock: nothing else changes
# the conversation meanwhile). Whether the subqueries see the new log row or not, it
# is counted once: left out, then added.
_MY_CONVERSATION = SmsConversation.phone_hash == _PHONE
_CLAIM_WITH_STANDING = (
    sqlite_insert(SmsInbound)
    .values(message_sid=bindparam("message_sid"), phone_hash=_PHONE, received_at=bindparam("now"))
    .on_conflict_do_nothing()
    .returning(
        SmsInbound.id.label("inbound_id"),
        contacts.opted_out(_PHONE).label("opted_out"),
        (
            _RECENT.where(SmsInbound.message_sid != bindparam("message_sid")).scalar_subquery() + 1
        ).label("recent"),
        *(
            select(column).where(_MY_CONVERSATION).scalar_subquery().label(column.key)
            for column in SmsConversation.__table__.columns
        ),
        *consultations.version_of(
            select(SmsConversation.consultation_code).where(_MY_CONVERSATION).scalar_subquery()
        ),
        *consultations.named_columns(),
    )
)

# PostgreSQL: the query's snapshot is the one the INSERT ran in, so the new row is
# counted from `claimed`; the conversation is opened (inserted or locked) only for a
# message that reaches it, as the service decides from the same standing.
_CLAIMED = (
    postgresql_insert(SmsInbound)
    .values(message_sid=bindparam("message_sid"), phone_hash=_PHONE, received_at=bindparam("now"))
    .on_conflict_do_nothing()
    .returning(SmsInbound.id)
    .cte("claimed")
)
_COUNTED = _RECENT.scalar_subquery() + select(func.count()).select_from(_CLAIMED).scalar_subquery()
_OPTED_OUT = contacts.opted_out(_PHONE)
_NEW_CONVERSATION: dict[str, ColumnElement[Any]] = {
    "phone_hash": _PHONE,
    "language": literal("fr"),
    "status": literal(ConversationStatus.IDLE.value),
    "step": literal(0),
    "attempts": literal(0),
    "answers": bindparam("no_answers", {}, type_=SmsConversation.answers.type),
    "transcript": bindparam("no_transcript", [], type_=SmsConversation.transcript.type),
    "created_at": bindparam("now"),
    "updated_at": bindparam("now"),
}
_OPENED_INSERT = postgresql_insert(SmsConversation).from_select(
    list(_NEW_CONVERSATION),
    select(*_NEW_CONVERSATION.values()).where(
        select(_CLAIMED.c.id).exists(), ~_OPTED_OUT, bindparam("within") >= _COUNTED
    ),
)
_OPENED = (
    _OPENED_INSERT.on_conflict_do_update(
        index_elements=["phone_hash"], set_={"phone_hash": _OPENED_INSERT.excluded.phone_hash}
    )
    .returning(*SmsConversation.__table__.columns, *_CONSULTATION_VERSION)
    .cte("opened")
)
_ONE = select(literal(1).label("one")).subquery("one")
_CLAIM_AND_OPEN = select(
    select(_CLAIMED.c.id).scalar_subquery().label("inbound_id"),
    _OPTED_OUT.label("opted_out"),
    _COUNTED.label("recent"),
    *_OPENED.c,
    *consultations.named_columns(),
).select_from(_ONE.outerjoin(_OPENED, true()))


def language_of(session: Session, phone_hash: str) -> str | None:
    return session.scalar(
        select(SmsConversation.language).where(SmsConversation.phone_hash == phone_hash)
    )


def purge_idle_numbers(session: Session, idle_before: datetime) -> int:
    """Forget raw numbers, answers and transcripts of conversations idle too long."""
    done = session.execute(
        update(SmsConversation)
        .where(
            SmsConversation.last_message_at < idle_before,
            SmsConversation.status == ConversationStatus.ACTIVE,
        )
        .values(
            status=ConversationStatus.EXPIRED,
            token=None,
            answers={},
            transcript=[],
        )
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def purge_outbound_numbers(session: Session) -> int:
    # A row left "sending" by a crash is never retried (no double send): drop its number too.
    done = session.execute(
        update(SmsOutbound)
        .where(SmsOutbound.to.is_not(None), SmsOutbound.status != OutboundStatus.QUEUED)
        .values(to=None)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def delete_inbound_before(session: Session, before: datetime) -> int:
    done = session.execute(delete(SmsInbound).where(SmsInbound.received_at < before))
    return int(done.rowcount)  # type: ignore[attr-defined]


def queue_outbound(session: Session, **values: Any) -> int | None:
    """Queue a message once per (kind, consultation, number); None if already queued."""
    return insert_or_ignore(
        session,
        SmsOutbound,
        status=OutboundStatus.QUEUED,
        created_at=utcnow(),
        updated_at=utcnow(),
        **values,
    )


def queued_ids(session: Session, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(SmsOutbound.id)
            .where(SmsOutbound.status == OutboundStatus.QUEUED)
            .order_by(SmsOutbound.id)
            .limit(limit)
        )
    )


def claim_outbound(session: Session, outbound_id: int) -> SmsOutbound | None:
    claimed = session.execute(
        update(SmsOutbound)
        .where(SmsOutbound.id == outbound_id, SmsOutbound.status == OutboundStatus.QUEUED)
        .values(status=OutboundStatus.SENDING, updated_at=utcnow())
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return None
    return session.get_one(SmsOutbound, outbound_id)


def record_status(session: Session, message_sid: str, status: str, error_code: str | None) -> bool:
    """Store a delivery status once; apply it to its outbound row if that row is known yet."""
    new_id = insert_or_ignore(
        session,
        SmsStatusEvent,
        message_sid=message_sid,
        status=status[:16],
        error_code=error_code,
        received_at=utcnow(),
    )
    if new_id is None:
        return False
    outbound = session.scalar(select(SmsOutbound).where(SmsOutbound.message_sid == message_sid))
    # Twilio may call back before our send has stored the sid: the event waits in the
    # table and `apply_early_statuses` applies it when the sid lands.
    if outbound is not None:
        apply_status(outbound, status, error_code)
    return True


def apply_early_statuses(session: Session, outbound: SmsOutbound) -> None:
    """Apply the callbacks that arrived for this message before its sid was stored."""
    events = session.scalars(
        select(SmsStatusEvent)
        .where(SmsStatusEvent.message_sid == outbound.message_sid)
        .order_by(SmsStatusEvent.id)
    )
    for event in events:
        apply_status(outbound, event.status, event.error_code)


def apply_status(outbound: SmsOutbound, status: str, error_code: str | None) -> None:
    """Move an outbound message to Twilio's status, never back from a final one."""
    if outbound.status in FINAL_OUTBOUND or status not in _STATUS_FROM_TWILIO:
        return  # Callbacks arrive out of order: a late "sent" never undoes "delivered".
    outbound.status = _STATUS_FROM_TWILIO[status]
    outbound.reason = f"error {error_code}" if error_code else outbound.reason


def sent_without_final_status(session: Session) -> list[SmsOutbound]:
    """Sent messages whose stored callbacks may not have been applied (a race at send)."""
    return list(
        session.scalars(
            select(SmsOutbound).where(
                SmsOutbound.status == OutboundStatus.SENT,
                SmsOutbound.message_sid.in_(select(SmsStatusEvent.message_sid)),
            )
        )
    )


# Twilio's MessageStatus values, folded onto ours ("accepted"/"queued" are ours already).
_STATUS_FROM_TWILIO = {
    "sending": OutboundStatus.SENT,
    "sent": OutboundStatus.SENT,
    "delivered": OutboundStatus.DELIVERED,
    "undelivered": OutboundStatus.UNDELIVERED,
    "failed": OutboundStatus.FAILED,
}
