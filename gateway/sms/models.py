"""SMS tables: conversations, the inbound log, opt-outs, outbound messages.

Numbers appear only as keyed hashes, except `SmsOutbound.to`, which holds a
raw number while a send still needs it; the `sms.purge_numbers` job clears it
afterwards.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, TimestampMixin, utcnow


class ConversationStatus(StrEnum):
    IDLE = "idle"
    ACTIVE = "active"
    # Idle too long: answers and number purged, kept only to tell the resident why.
    EXPIRED = "expired"


class SmsConversation(TimestampMixin, Base):
    """Where one phone number stands: one row per number, reused conversation after conversation."""

    __tablename__ = "sms_conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="fr")
    status: Mapped[str] = mapped_column(String(16), default=ConversationStatus.IDLE)
    consultation_code: Mapped[str | None] = mapped_column(String(16))
    # Drawn when a conversation starts: the contribution's external id.
    token: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    transcript: Mapped[list[Any]] = mapped_column(JSON, default=list)
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class SmsInbound(Base):
    """Each inbound message once, by MessageSid, with the reply it got (for retries)."""

    __tablename__ = "sms_inbound"
    __table_args__ = (Index("ix_sms_inbound_phone_hash_received_at", "phone_hash", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    phone_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    replies: Mapped[list[str] | None] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(32))


class OutboundStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    SKIPPED = "skipped"


FINAL_OUTBOUND = {
    OutboundStatus.DELIVERED,
    OutboundStatus.UNDELIVERED,
    OutboundStatus.FAILED,
    OutboundStatus.SKIPPED,
}


class SmsOutbound(TimestampMixin, Base):
    """A message we send first (an invitation), from queued to its delivery status."""

    __tablename__ = "sms_outbound"
    __table_args__ = (UniqueConstraint("kind", "consultation_code", "phone_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    consultation_code: Mapped[str] = mapped_column(String(16))
    phone_hash: Mapped[str] = mapped_column(String(64))
    to: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True, default=OutboundStatus.QUEUED)
    reason: Mapped[str | None] = mapped_column(Text)
    message_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SmsStatusEvent(Base):
    """A delivery status callback, stored once per (MessageSid, status)."""

    __tablename__ = "sms_status_event"
    __table_args__ = (UniqueConstraint("message_sid", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
