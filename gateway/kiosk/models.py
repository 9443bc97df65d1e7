"""Kiosks an agent registered, and the one resident session each screen holds."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, TimestampMixin, utcnow


class Kiosk(TimestampMixin, Base):
    __tablename__ = "kiosk"

    # Random and short: it is in the kiosk's address, typed once by whoever sets it up.
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    place: Mapped[str] = mapped_column(String(200))


class KioskSession(Base):
    """One resident at one kiosk: the dialogue state between screens, never in the page.

    The browser holds only a random cookie; its sha256 finds the row. `run_id` names
    one pass through a consultation, so a submission sent twice is one contribution.
    """

    __tablename__ = "kiosk_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # None for a resident online (`/c/{code}`), on their own phone or computer.
    kiosk_id: Mapped[str | None] = mapped_column(ForeignKey("kiosk.id"), index=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    run_id: Mapped[str | None] = mapped_column(String(32))
    receipt: Mapped[str | None] = mapped_column(String(16))
    # The contribution's status when sent: a vote waiting for a médiateur says so.
    receipt_status: Mapped[str | None] = mapped_column(String(16))
    # A médiateur signed in with their PIN, and the resident's consent once given.
    mediateur_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_mandate.id"))
    # Online: the keyed hash of the phone a one-time code proved (the one SMS uses).
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class Consent(StrEnum):
    """How a resident agreed to a médiateur's help, as the mandate records it."""

    SPOKEN = "spoken"
    SIGNED = "signed"  # ticked by the resident on the screen
    PAPER = "paper"  # handed a paper form over the counter for the médiateur to key in


class OnlineCode(Base):
    """A one-time code sent by SMS to prove a phone online: only its hash is kept.

    The row names the online session it was sent for, so a code works only in the
    browser that asked for it; rows stay a day after use, for the rate limit per number.
    """

    __tablename__ = "online_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("kiosk_session.id", ondelete="SET NULL"), index=True
    )
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
