"""Mediation's own table: who is reviewing which item, until when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base


class ReviewClaim(Base):
    """One reviewer holds an item until `expires_at`; the unique key keeps it to one."""

    __tablename__ = "review_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[str] = mapped_column(String(32), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
