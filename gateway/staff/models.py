"""Staff accounts and their sign-in sessions: hashes only, never a password or session id."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.store.base import Base, TimestampMixin, utcnow


class StaffRole(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"
    MEDIATEUR = "mediateur"
    OBSERVER = "observer"


class StaffAccount(TimestampMixin, Base):
    __tablename__ = "staff_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    failed_pins: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An elected official may read and run things, but never helps a resident answer.
    elected: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class StaffSession(Base):
    """A signed-in browser; any app process serves it, since it lives in the store."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    account: Mapped[StaffAccount] = relationship(lazy="joined")
