"""The one store: every channel's contributions share these tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.store.base import Base, TimestampMixin, utcnow


class Channel(StrEnum):
    SMS = "sms"
    IVR = "ivr"
    KIOSK = "kiosk"
    PAPER = "paper"
    ONLINE = "online"


class ContributionStatus(StrEnum):
    COUNTED = "counted"
    REVIEW = "review"
    DUPLICATE = "duplicate"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"


class AnswerSource(StrEnum):
    TYPED = "typed"
    SMS = "sms"
    DTMF = "dtmf"
    SPEECH = "speech"
    OMR = "omr"
    OCR = "ocr"
    TOUCH = "touch"
    IMPORT = "import"
    # Read from a file another platform exported (`portevoix import`).
    IMPORT_DECIDIM = "import:decidim"
    IMPORT_CSV = "import:csv"


class AnswerStatus(StrEnum):
    VALID = "valid"
    REVIEW = "review"
    REJECTED = "rejected"


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Consultation(TimestampMixin, Base):
    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    definition_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    source_path: Mapped[str | None] = mapped_column(Text)


class Participant(Base):
    """A person or a ballot, known only by a keyed hash: never a raw identifier."""

    __tablename__ = "participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Contribution(TimestampMixin, Base):
    __tablename__ = "contribution"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    # Set by channels whose ids can come back with another body (see Intake).
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    receipt_code: Mapped[str] = mapped_column(String(16), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="fr")
    assisted_by: Mapped[str | None] = mapped_column(String(128))
    definition_hash: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="contribution", cascade="all, delete-orphan", order_by="Answer.id"
    )


class Participation(Base):
    """Which contribution counts for a participant under a one-per-person policy.

    The unique constraint is what makes "one per person" hold under concurrency.
    """

    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("consultation_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"))
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contribution.id"))


class Answer(Base):
    __tablename__ = "answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contribution.id"), index=True)
    question_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    raw_input: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(Text)

    contribution: Mapped[Contribution] = relationship(back_populates="answers")


class ContributionCount(Base):
    """How many contributions share a consultation, channel, status and UTC hour.

    Kept by the contributions core in the same transaction as every write that changes
    what it counts (the door, the decisions; see `gateway.contributions.counts`), so
    the results read a few hundred rows instead of every contribution.
    """

    __tablename__ = "contribution_count"
    __table_args__ = (UniqueConstraint("consultation_id", "channel", "status", "hour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    hour: Mapped[str] = mapped_column(String(13))  # UTC, as "2026-12-01T08"
    count: Mapped[int] = mapped_column(Integer)


class AnswerCount(Base):
    """How many answers share a consultation, channel, question, value and states.

    Kept like `ContributionCount`. `value` is the answer's JSON text, or "" for a
    free-text question, whose answers are counted, never grouped by their text.
    """

    __tablename__ = "answer_count"
    __table_args__ = (
        UniqueConstraint(
            "consultation_id",
            "channel",
            "question_id",
            "value",
            "source",
            "answer_status",
            "contribution_status",
            # Named: the convention's name would pass PostgreSQL's 63 characters.
            name="uq_answer_count_group",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    channel: Mapped[str] = mapped_column(String(16))
    question_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    answer_status: Mapped[str] = mapped_column(String(16))
    contribution_status: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer)


class ImportedTotal(Base):
    """Votes another platform counted and exported as totals: never people, never contributions.

    One row per consultation, source file kind, question and option; `origin_id` is the
    option's id on that platform (a Decidim project id), so a later file can name it.
    """

    __tablename__ = "imported_total"
    __table_args__ = (UniqueConstraint("consultation_id", "source", "question_id", "option_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    question_id: Mapped[str] = mapped_column(String(64))
    option_key: Mapped[str] = mapped_column(String(64))
    origin_id: Mapped[str | None] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Evidence(Base):
    """A raw input (SMS body, audio, scan crop), stored once by its sha256."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    retain_until: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ContributionEvidence(Base):
    __tablename__ = "contribution_evidence"
    __table_args__ = (UniqueConstraint("contribution_id", "evidence_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contribution.id"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"))
    role: Mapped[str] = mapped_column(String(32))
    question_id: Mapped[str | None] = mapped_column(String(64))


class AuditEvent(Base):
    """Append-only journal; each row's hash covers the previous row's hash."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Job(TimestampMixin, Base):
    """The row is the truth: pending until a worker marks it done or failed."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True, default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    ran_on: Mapped[str | None] = mapped_column(String(128))


class ContactOptOut(Base):
    """A phone that asked not to be contacted: honoured by every channel's outbound work.

    Keyed by the same keyed phone hash every channel computes, so a STOP by SMS stops
    calls too, and a "do not call" on the phone stops invitations by SMS.
    """

    __tablename__ = "contact_opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The channel the resident used to say it, and how (the folded keyword, a key…).
    channel: Mapped[str] = mapped_column(String(16))
    said: Mapped[str] = mapped_column(String(32))
    opted_out_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(TimestampMixin, Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Space-separated, as OAuth scopes are: what this client may do beyond the basics.
    scopes: Mapped[str] = mapped_column(String(256), default="", server_default="")
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
