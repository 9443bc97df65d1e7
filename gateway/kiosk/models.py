"""Kiosks an agent registered, and the one resident session each screen holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String
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
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosk.id"), index=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    run_id: Mapped[str | None] = mapped_column(String(32))
    receipt: Mapped[str | None] = mapped_column(String(16))
    # The contribution's status when sent: a vote waiting for a médiateur says so.
    receipt_status: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
