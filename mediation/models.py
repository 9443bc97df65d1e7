"""Mediation's own tables: who is reviewing which item, and first reviews in double review."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, utcnow


class ReviewClaim(Base):
    """One reviewer holds an item until `expires_at`; the unique key keeps it to one."""

    __tablename__ = "review_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[str] = mapped_column(String(32), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReviewVote(Base):
    """A reviewer's decision on a vote's answer, waiting for a second reviewer to agree."""

    __tablename__ = "review_vote"
    __table_args__ = (UniqueConstraint("item", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[str] = mapped_column(String(32), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"))
    action: Mapped[str] = mapped_column(String(16))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
