"""The mandate table; its name and migration (0015) are the kiosk channel's from the start."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, utcnow


class KioskMandate(Base):
    """A resident's consent to one médiateur's help for one consultation, at one kiosk.

    Kept after the kiosk session is wiped: it is the record of who helped whom with
    what (never the resident's name), and it ends with the session. An agent may
    revoke it: its contribution then goes back to review.
    """

    __tablename__ = "kiosk_mandate"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A string reference: the core imports no channel, the kiosk table is the channel's.
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosk.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"), index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    consent: Mapped[str] = mapped_column(String(16))
    contribution_id: Mapped[int | None] = mapped_column(ForeignKey("contribution.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(80))
    revoke_reason: Mapped[str | None] = mapped_column(String(500))
