"""Scan batches, the files in them, each page read, and each printed copy seen.

A page row is written when the page is stored as evidence, before it is read, so a
batch that crashes resumes from the rows: pages already stored are not stored
again, pages already read are not read again. `PaperSheet` holds one row per
(consultation, serial, form page) ever counted: a second scan of the same sheet
(a rescan, a photocopy) finds it taken and is flagged, never counted twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, utcnow


class PaperBatch(Base):
    __tablename__ = "paper_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When the paper was collected (the ballot box closed, the forms picked up): its
    # copies are dated by it, so paper scanned after the close still counts.
    collected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PaperFile(Base):
    """One file handed in; its sha256 recognises the same file handed in again."""

    __tablename__ = "paper_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("paper_batch.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    pages: Mapped[int | None] = mapped_column(Integer)
    # Pages stored so far: a crash while storing resumes after the last one.
    stored: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PaperPage(Base):
    __tablename__ = "paper_page"
    __table_args__ = (UniqueConstraint("file_id", "page_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("paper_batch.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("paper_file.id"))
    page_index: Mapped[int] = mapped_column(Integer)
    image_sha256: Mapped[str] = mapped_column(String(64))
    image_size: Mapped[int] = mapped_column(Integer)
    # pending until read; then read, review, rejected or duplicate.
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[int | None] = mapped_column(Integer)
    consultation_code: Mapped[str | None] = mapped_column(String(16))
    serial: Mapped[str | None] = mapped_column(String(16))
    form_page: Mapped[int | None] = mapped_column(Integer)
    # Scores, decisions and answers as read, so thresholds can be replayed later.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    overlay_sha256: Mapped[str | None] = mapped_column(String(64))
    contribution_id: Mapped[int | None] = mapped_column(ForeignKey("contribution.id"))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PaperSheet(Base):
    """A printed sheet counted once: the first page that carried its serial and number."""

    __tablename__ = "paper_sheet"
    __table_args__ = (UniqueConstraint("consultation_code", "serial", "form_page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_code: Mapped[str] = mapped_column(String(16))
    serial: Mapped[str] = mapped_column(String(16))
    form_page: Mapped[int] = mapped_column(Integer)
    page_id: Mapped[int] = mapped_column(ForeignKey("paper_page.id"))


class PaperCopy(Base):
    """A printed copy (all its pages share one serial): recorded once every page is in."""

    __tablename__ = "paper_copy"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<consultation>:<serial>", the one key the copy is locked by.
    copy_key: Mapped[str] = mapped_column(String(40), unique=True)
    pages: Mapped[int] = mapped_column(Integer)
    contribution_id: Mapped[int | None] = mapped_column(ForeignKey("contribution.id"))
