"""Phone tables: where each caller stands, each call and its replies, each recording.

Numbers appear only as keyed hashes. A caller whose number is withheld is keyed by
the call, so nothing can resume or be refused by number for them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, TimestampMixin, utcnow


class IvrCaller(TimestampMixin, Base):
    """One caller's place in a consultation, kept across calls so a dropped call resumes."""

    __tablename__ = "ivr_caller"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The phone hash, or "call:<CallSid hash>" for a withheld number.
    caller_key: Mapped[str] = mapped_column(String(80), unique=True)
    # The dialogue engine's state and the line's own (menu, page, vote to confirm).
    dialogue: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    line: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Drawn when a consultation starts: the contribution's external id.
    token: Mapped[str | None] = mapped_column(String(32))
    last_call_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CallStatus(StrEnum):
    IN_PROGRESS = "in-progress"
    FINISHED = "finished"  # the consultation was answered and recorded during this call
    ENDED = "ended"  # hung up or dropped; the caller row keeps where they stood


class IvrCall(TimestampMixin, Base):
    """One call, by CallSid; `seq` numbers the steps so a retried webhook gets its reply."""

    __tablename__ = "ivr_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    caller_key: Mapped[str] = mapped_column(String(80), index=True)
    withheld: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=CallStatus.IN_PROGRESS)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)


class IvrStep(Base):
    """The TwiML answered to step `seq` of a call, returned again when Twilio retries."""

    __tablename__ = "ivr_step"
    __table_args__ = (UniqueConstraint("call_sid", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    twiml: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IvrCallEvent(Base):
    """A call-status callback, stored once per (CallSid, status)."""

    __tablename__ = "ivr_call_event"
    __table_args__ = (UniqueConstraint("call_sid", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RecordingStatus(StrEnum):
    RECORDED = "recorded"  # Twilio has it; waiting for its status callback
    PENDING = "pending"  # available: the transcription job will fetch it
    TRANSCRIBED = "transcribed"
    KEPT = "kept"  # fetched and kept for a person, with no engine or no words found
    FAILED = "failed"  # corrupt or empty audio, or Twilio could not record: a person checks
    FORGOTTEN = "forgotten"  # its call was never finished: audio and transcript deleted


class IvrRecording(TimestampMixin, Base):
    """A spoken free-text answer, from Twilio's recording to transcript and evidence."""

    __tablename__ = "ivr_recording"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    caller_key: Mapped[str] = mapped_column(String(80))
    consultation_code: Mapped[str] = mapped_column(String(16))
    question_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True, default=RecordingStatus.RECORDED)
    # Set when the call's contribution is recorded; evidence is linked to it then.
    contribution_id: Mapped[int | None] = mapped_column(Integer, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    audio_sha256: Mapped[str | None] = mapped_column(String(64))
    transcript_sha256: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    linked: Mapped[bool] = mapped_column(default=False)
