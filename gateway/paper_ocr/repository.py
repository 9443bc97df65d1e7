"""Queries of the paper channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from gateway.paper_ocr.models import PaperBatch, PaperCopy, PaperFile, PaperPage, PaperSheet
from gateway.store.models import Job
from gateway.store.session import insert_or_ignore, insert_or_lock

PENDING = "pending"


def batch_named(
    session: Session, name: str, created_by: str, collected_at: datetime
) -> tuple[PaperBatch, bool]:
    """The batch of that name, created if new (a batch given again resumes); and if new."""
    values = {"name": name, "created_by": created_by, "collected_at": collected_at}
    created = insert_or_ignore(session, PaperBatch, **values) is not None
    return session.scalars(select(PaperBatch).where(PaperBatch.name == name)).one(), created


def batch_by_name(session: Session, name: str) -> PaperBatch | None:
    return session.scalars(select(PaperBatch).where(PaperBatch.name == name)).one_or_none()


def batch(session: Session, batch_id: int) -> PaperBatch | None:
    return session.get(PaperBatch, batch_id)


def batches(session: Session, limit: int = 50) -> list[PaperBatch]:
    return list(session.scalars(select(PaperBatch).order_by(PaperBatch.id.desc()).limit(limit)))


def file_by_hash(session: Session, sha256: str) -> PaperFile | None:
    return session.scalars(select(PaperFile).where(PaperFile.sha256 == sha256)).one_or_none()


def add_file(session: Session, batch_id: int, sha256: str, name: str) -> PaperFile | None:
    """A new file row; None if the same bytes were handed in already (a race included)."""
    new_id = insert_or_ignore(
        session, PaperFile, batch_id=batch_id, sha256=sha256, name=name, stored=0
    )
    return None if new_id is None else session.get_one(PaperFile, new_id)


def add_page(session: Session, **values: Any) -> PaperPage:
    page = PaperPage(status=PENDING, **values)
    session.add(page)
    session.flush()
    return page


def files_of(session: Session, batch_id: int) -> list[PaperFile]:
    return list(
        session.scalars(
            select(PaperFile).where(PaperFile.batch_id == batch_id).order_by(PaperFile.id)
        )
    )


def pages_of(session: Session, batch_id: int) -> list[PaperPage]:
    query = select(PaperPage).where(PaperPage.batch_id == batch_id)
    return list(session.scalars(query.order_by(PaperPage.file_id, PaperPage.page_index)))


def pages_of_file(session: Session, file_id: int) -> list[PaperPage]:
    query = select(PaperPage).where(PaperPage.file_id == file_id).order_by(PaperPage.page_index)
    return list(session.scalars(query))


def page(session: Session, page_id: int) -> PaperPage | None:
    return session.get(PaperPage, page_id)


def lock_pending_page(session: Session, page_id: int) -> PaperPage | None:
    """The page, locked, if nobody has read it yet."""
    query = select(PaperPage).where(PaperPage.id == page_id, PaperPage.status == PENDING)
    return session.scalars(query.with_for_update()).one_or_none()


def unread_jobs(session: Session, batch_id: int) -> list[tuple[int, int | None, str | None]]:
    """(page id, job id, job status) of the batch's pages still waiting to be read."""
    query = (
        select(PaperPage.id, PaperPage.job_id, Job.status)
        .outerjoin(Job, Job.id == PaperPage.job_id)
        .where(PaperPage.batch_id == batch_id, PaperPage.status == PENDING)
        .order_by(PaperPage.id)
    )
    return [(row[0], row[1], row[2]) for row in session.execute(query)]


def take_sheet(session: Session, code: str, serial: str, form_page: int, page_id: int) -> bool:
    """Claim a sheet for this page; False when another page already holds it."""
    values = {
        "consultation_code": code,
        "serial": serial,
        "form_page": form_page,
        "page_id": page_id,
    }
    return insert_or_ignore(session, PaperSheet, **values) is not None


def sheet_holder(session: Session, code: str, serial: str, form_page: int) -> PaperPage | None:
    query = (
        select(PaperPage)
        .join(PaperSheet, PaperSheet.page_id == PaperPage.id)
        .where(
            PaperSheet.consultation_code == code,
            PaperSheet.serial == serial,
            PaperSheet.form_page == form_page,
        )
    )
    return session.scalars(query).one_or_none()


def lock_copy(session: Session, copy_key: str, pages: int) -> Any:
    return insert_or_lock(session, PaperCopy, "copy_key", copy_key=copy_key, pages=pages)


def copy_pages(session: Session, code: str, serial: str) -> list[PaperPage]:
    """The pages that hold a copy's sheets, in page order."""
    query = (
        select(PaperPage)
        .join(PaperSheet, PaperSheet.page_id == PaperPage.id)
        .where(PaperSheet.consultation_code == code, PaperSheet.serial == serial)
        .order_by(PaperSheet.form_page)
    )
    return list(session.scalars(query))


def set_copy_contribution(session: Session, copy_key: str, contribution_id: int) -> None:
    session.execute(
        update(PaperCopy)
        .where(PaperCopy.copy_key == copy_key)
        .values(contribution_id=contribution_id)
    )


def status_counts(session: Session, batch_id: int) -> dict[str, int]:
    query = (
        select(PaperPage.status, func.count())
        .where(PaperPage.batch_id == batch_id)
        .group_by(PaperPage.status)
    )
    return {str(status): int(count) for status, count in session.execute(query)}


def release_sheet(session: Session, page_id: int) -> None:
    """Let the sheet a page held be taken again, by this page read anew."""
    session.execute(delete(PaperSheet).where(PaperSheet.page_id == page_id))
