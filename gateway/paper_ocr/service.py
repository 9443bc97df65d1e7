"""Batches of scans: store every page as evidence, read each in a job, record copies.

Storing and reading are apart. `take_file` stores a file's pages one by one, each
in its own transaction with the job that will read it, so a crash loses at most
the page being stored and a batch given again resumes where it stopped. The job
`paper.read_page` reads one page and records what it found in one transaction that
first checks the page is still unread: a page is never read into the store twice.
When every page of a printed copy is in, the copy becomes one contribution through
the door.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytesseract
from sqlalchemy.orm import Session

from gateway import audit, jobs
from gateway.consultations import repository as consultations
from gateway.consultations.schema import Kind
from gateway.contributions.door import attach_evidence, keep_evidence, record_intake
from gateway.contributions.intake import (
    AnswerIn,
    EvidenceRef,
    Intake,
    IntakeConflict,
    IntakeRejected,
    ParticipantRef,
)
from gateway.deps import door_policy
from gateway.errors import PortevoixError
from gateway.evidence import CHUNK_BYTES, EvidenceTooLarge
from gateway.identity import participant_key
from gateway.paper_ocr import codes, images, marks
from gateway.paper_ocr import repository as paper
from gateway.paper_ocr.layout import Layout, plan
from gateway.paper_ocr.models import PaperBatch, PaperFile, PaperPage
from gateway.paper_ocr.reading import (
    DUPLICATE,
    READ,
    REJECTED,
    REVIEW,
    Form,
    FormRefused,
    PageResult,
    overlay,
    read_page,
)
from gateway.runtime import Runtime
from gateway.store.base import as_utc, utcnow
from gateway.store.models import AnswerSource, Channel
from gateway.store.session import transaction
from gateway.text import clean_text, escape_surrogates

READ_JOB = "paper.read_page"
PNG = "image/png"
MAX_NAME = 255


@dataclass
class FileOutcome:
    """What became of one file handed in."""

    path: Path
    file_id: int | None = None
    pages_stored: int = 0
    error: str | None = None
    same_as: str | None = None  # the batch that already holds these bytes


def file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            hasher.update(chunk)
    return hasher.hexdigest()


class BatchRefused(PortevoixError):
    pass


def open_batch(
    runtime: Runtime, name: str, created_by: str, collected_at: datetime | None = None
) -> PaperBatch:
    """The batch of that name, its paper collected at `collected_at` (default: now)."""
    if collected_at is not None and as_utc(collected_at) > utcnow():
        raise BatchRefused("the paper cannot have been collected in the future")
    with transaction(runtime.sessions) as session:
        # Stored in UTC: SQLite keeps no offset.
        at = as_utc(collected_at or utcnow()).astimezone(UTC)
        batch, created = paper.batch_named(session, _plain(name, 100), created_by, at)
        if created:
            _journal_batch(session, batch)
        elif collected_at is not None and as_utc(batch.collected_at) != as_utc(collected_at):
            raise BatchRefused(
                f"batch {batch.name!r} holds paper collected on {_shown(batch.collected_at)}: "
                "give that date again, or another batch name"
            )
        return batch


def _journal_batch(session: Session, batch: PaperBatch) -> None:
    payload = {"name": batch.name, "collected_at": as_utc(batch.collected_at).isoformat()}
    audit.append(session, "paper.batch_opened", "paper_batch", batch.id, payload, batch.created_by)


def _shown(at: datetime) -> str:
    return as_utc(at).strftime("%Y-%m-%d %H:%M UTC")


def collection_time(text: str, zone: str) -> datetime:
    """`YYYY-MM-DD[THH:MM]` in `zone`; a date alone is the end of that day, or now if today.

    A date alone never dates paper earlier than it may have been collected: paper
    collected on the closing day needs its time to be counted.
    """
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BatchRefused(f"{text!r}: give the collection date as YYYY-MM-DD[THH:MM]") from None
    local = parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))
    if "T" in text or " " in text or local > utcnow():
        return local.astimezone(UTC)  # a day to come stays in the future, for open_batch
    return min((local + timedelta(days=1) - timedelta(microseconds=1)).astimezone(UTC), utcnow())


def _plain(text: str, length: int) -> str:
    """A file or batch name fit to store and show: no control characters, cut to length."""
    return clean_text(escape_surrogates(text)[:length], length)


def take_file(
    runtime: Runtime, batch: PaperBatch, path: Path, name: str | None = None,
    on_page: Callable[[], None] = lambda: None,
) -> FileOutcome:  # fmt: skip
    """Store a file's pages as evidence, each with its read job; resume a file cut short."""
    outcome, start = _register(runtime, batch, path, name)
    if start is None or outcome.file_id is None:
        return outcome
    try:
        _count_pages(runtime, outcome.file_id, path)
        for index, gray in enumerate(images.pages(path, start), start):
            _store_page(runtime, batch, outcome.file_id, index, gray)
            outcome.pages_stored += 1
            on_page()
    except (images.UnreadableScan, EvidenceTooLarge) as error:
        outcome.error = str(error)
        _file_failed(runtime, outcome.file_id, str(error))
    return outcome


def _register(
    runtime: Runtime, batch: PaperBatch, path: Path, name: str | None
) -> tuple[FileOutcome, int | None]:
    """The file's row, known by its sha256, and the page to store from (None: nothing to do)."""
    outcome = FileOutcome(path)
    digest = file_sha256(path)
    with transaction(runtime.sessions) as session:
        known = paper.file_by_hash(session, digest)
        if known is not None and known.batch_id != batch.id:
            holder = paper.batch(session, known.batch_id)
            outcome.file_id, outcome.same_as = known.id, holder.name if holder else None
            return outcome, None
        if known is not None and (known.error or _complete(known)):
            # Handed in again in its own batch: a resumed run, nothing left to store.
            outcome.file_id, outcome.error = known.id, known.error
            return outcome, None
        row = known or paper.add_file(
            session, batch.id, digest, _plain(name or path.name, MAX_NAME)
        )
        if row is None:  # the same bytes, handed in at the same moment by someone else
            outcome.same_as = batch.name
            return outcome, None
        outcome.file_id = row.id
        return outcome, row.stored


def _complete(row: Any) -> bool:
    return row.pages is not None and row.stored >= row.pages


def _count_pages(runtime: Runtime, file_id: int, path: Path) -> None:
    count = images.page_count(path)
    with transaction(runtime.sessions) as session:
        session.get_one(PaperFile, file_id).pages = count


def _store_page(runtime: Runtime, batch: PaperBatch, file_id: int, index: int, gray: Any) -> None:
    blob = runtime.evidence.put(images.encode_png(images.for_storage(gray)), PNG)
    with transaction(runtime.sessions) as session:
        scan = EvidenceRef(blob.sha256, PNG, blob.size, role="scan")
        keep_evidence(session, [scan], door_policy(runtime))
        page = paper.add_page(
            session,
            batch_id=batch.id,
            file_id=file_id,
            page_index=index,
            image_sha256=blob.sha256,
            image_size=blob.size,
        )
        page.job_id = jobs.enqueue(session, READ_JOB, page_id=page.id).id
        session.get_one(PaperFile, file_id).stored = index + 1


def _file_failed(runtime: Runtime, file_id: int, error: str) -> None:
    with transaction(runtime.sessions) as session:
        session.get_one(PaperFile, file_id).error = error[:1000]


def pending_jobs(runtime: Runtime, batch_id: int) -> list[int]:
    """The read jobs a batch still waits on, a new one for any page whose job died."""
    wanted = []
    with transaction(runtime.sessions) as session:
        for page_id, job_id, status in paper.unread_jobs(session, batch_id):
            if status == "pending" and job_id is not None:
                wanted.append(job_id)
                continue
            # Its job crashed mid-read (nothing was recorded) or failed: read it afresh.
            job = jobs.enqueue(session, READ_JOB, page_id=page_id)
            session.get_one(PaperPage, page_id).job_id = job.id
            wanted.append(job.id)
    return wanted


def read(runtime: Runtime, page_id: int) -> None:
    """The `paper.read_page` job: read one page, record it once."""
    with runtime.sessions() as session:
        page = paper.page(session, page_id)
        if page is None or page.status != paper.PENDING:
            return
        gray = images.decode_png(runtime.evidence.read(page.image_sha256))
        limits = marks.thresholds(runtime.settings.paper_thresholds)
        result = read_page(
            gray,
            codes.mac_key(runtime.settings.secret),
            _lookup(session),
            limits,
            review_below=runtime.settings.review_confidence_threshold,
        )
    blobs = _keep_images(runtime, result)
    with transaction(runtime.sessions) as session:
        _settle(session, runtime, page_id, result, blobs, limits)


def _lookup(session: Session) -> Callable[[codes.PageCode], Form]:
    def lookup(code: codes.PageCode) -> Form:
        consultation = consultations.find(session, code.consultation)
        if consultation is None:
            raise FormRefused(f"unknown consultation {code.consultation!r}")
        definition = consultations.definition_of(consultation)
        if Channel.PAPER not in definition.channels:
            raise FormRefused(f"{code.consultation} does not take paper forms")
        layout = layout_of(consultation.definition_hash, definition)
        if layout.form_version != code.version:
            raise FormRefused(
                f"a form of an outdated version of {code.consultation}: print the forms again"
            )
        return Form(definition, layout)

    return lookup


_LAYOUTS: dict[str, Layout] = {}


def layout_of(version_hash: str, definition: Any) -> Layout:
    """The layout of a definition version, computed once per process."""
    if version_hash not in _LAYOUTS:
        _LAYOUTS[version_hash] = plan(definition, version_hash)
    return _LAYOUTS[version_hash]


def _keep_images(runtime: Runtime, result: PageResult) -> dict[str, tuple[str, int]]:
    """Store the overlay and the handwriting crops; role or question id → (sha256, size)."""
    kept = {}
    picture = overlay(result)
    if picture is not None:
        blob = runtime.evidence.put(picture, PNG)
        kept["overlay"] = (blob.sha256, blob.size)
    for question_id, crop in result.crops.items():
        blob = runtime.evidence.put(crop, PNG)
        kept[f"crop:{question_id}"] = (blob.sha256, blob.size)
    return kept


def _settle(
    session: Session, runtime: Runtime, page_id: int, result: PageResult,
    blobs: dict[str, tuple[str, int]], limits: marks.Thresholds,
) -> None:  # fmt: skip
    page = paper.lock_pending_page(session, page_id)
    if page is None:
        return  # read meanwhile by another job: the first reading stands
    # Kept under retention whether or not a contribution ever holds them.
    keep_evidence(session, list(_images_of(blobs)), door_policy(runtime))
    code = result.code
    page.status, page.reason = result.status, result.reason
    page.read_at = utcnow()
    page.overlay_sha256 = blobs["overlay"][0] if "overlay" in blobs else None
    page.result = {
        **result.as_json(),
        "fit_error_pt": result.fit_error_pt,
        "thresholds": limits.as_json(),
        "images": {role: list(blob) for role, blob in blobs.items()},
    }
    if code is None or result.status not in (READ, REVIEW):
        return
    page.consultation_code, page.serial, page.form_page = code.consultation, code.serial, code.page
    if code.test:
        page.reason = "; ".join(filter(None, ["test copy: read, never counted", result.reason]))
        return
    if not paper.take_sheet(session, code.consultation, code.serial, code.page, page.id):
        _flag_duplicate(session, page, code)
        return
    _record_copy_if_whole(session, runtime, code)


def _flag_duplicate(session: Session, page: PaperPage, code: codes.PageCode) -> None:
    holder = paper.sheet_holder(session, code.consultation, code.serial, code.page)
    page.status = DUPLICATE
    page.reason = (
        f"sheet {code.serial} page {code.page} was already scanned"
        f"{f' (page #{holder.id})' if holder else ''}: a rescan or a photocopy, counted once"
    )


def _record_copy_if_whole(session: Session, runtime: Runtime, code: codes.PageCode) -> None:
    copy_key = f"{code.consultation}:{code.serial}"
    held = paper.lock_copy(session, copy_key, code.pages)
    pages = paper.copy_pages(session, code.consultation, code.serial)
    if held["contribution_id"] is not None or len(pages) < code.pages:
        return
    batch = paper.batch(session, pages[0].batch_id)
    policy = door_policy(runtime)
    try:
        result = record_intake(session, _intake(session, runtime, code, pages, batch), policy)
    except (IntakeRejected, IntakeConflict) as refusal:
        collected = f" (paper collected {_shown(batch.collected_at)})" if batch else ""
        for page in pages:
            page.status, page.reason = REJECTED, f"not recorded: {refusal}{collected}"
        return
    # Linked once recorded: the door deletes the blobs of an intake it refuses, and
    # these pages keep theirs whatever happens.
    refs = [ref for page in pages for ref in _evidence_of(page)]
    attach_evidence(session, result.contribution_id, refs, policy)
    paper.set_copy_contribution(session, copy_key, result.contribution_id)
    for page in pages:
        page.contribution_id = result.contribution_id


def _intake(
    session: Session, runtime: Runtime, code: codes.PageCode, pages: list[PaperPage],
    batch: PaperBatch | None,
) -> Intake:  # fmt: skip
    definition = consultations.definition_by_code(session, code.consultation)
    assert definition is not None
    if definition.results.published(utcnow()):
        # As imports: published results are not changed by what comes in afterwards.
        raise IntakeRejected(
            [f"the results of {definition.code} are published: a late copy would change them"]
        )
    answers = [a for page in pages for a in _answers_in(page)]
    participant = None
    if definition.kind == Kind.VOTE or "ballot_serial" in definition.identity.keys:
        # The ballot's serial, hashed: it names a sheet of paper, never a person.
        key = participant_key("ballot_serial", code.serial, runtime.settings.secret)
        participant = ParticipantRef("ballot_serial", key)
    return Intake(
        consultation_code=code.consultation,
        channel=Channel.PAPER,
        external_id=f"{code.consultation}-{code.serial}",
        answers=answers,
        participant=participant,
        # Dated when collected, not when scanned: the door's open/closed rule then
        # counts paper that reached the mairie on time however late it is scanned.
        received_at=as_utc(batch.collected_at) if batch else None,
    )


def _answers_in(page: PaperPage) -> Iterator[AnswerIn]:
    stored = page.result or {}
    written = {box["question_id"] for box in stored.get("boxes", []) if box["kind"] == "text"}
    for question_id, answer in stored.get("answers", {}).items():
        source = AnswerSource.OCR if question_id in written else AnswerSource.OMR
        if answer["status"] == marks.COUNTED:
            raw = str(answer["value"])
            yield AnswerIn(question_id, answer["value"], raw, source, answer["confidence"])
        else:
            # No value until a person looks: the door sends it to review with this reason.
            raw = f"{answer['reason']} (read: {answer['value']})"
            yield AnswerIn(question_id, "", raw, source, 0.0)


def _evidence_of(page: PaperPage) -> Iterator[EvidenceRef]:
    yield EvidenceRef(page.image_sha256, PNG, page.image_size, role="scan")
    yield from _images_of((page.result or {}).get("images", {}))


def _images_of(blobs: dict[str, Any]) -> Iterator[EvidenceRef]:
    """The overlay and the crops of a page, as evidence."""
    for role, (sha256, size) in blobs.items():
        if role == "overlay":
            yield EvidenceRef(sha256, PNG, size, role="overlay")
        else:
            yield EvidenceRef(
                sha256, PNG, size, role="crop", question_id=role.removeprefix("crop:")
            )


def page_json(page: PaperPage, file_name: str) -> dict[str, Any]:
    """One page as `portevoix paper scan --json` prints it."""
    result = page.result or {}
    return {
        "file": file_name,
        "page_index": page.page_index,
        "serial": page.serial,
        "form_page": page.form_page,
        "status": page.status,
        "reason": page.reason,
        "answers": result.get("answers", {}),
        "boxes": result.get("boxes", []),
    }


def tesseract_has_french() -> bool:
    try:
        return "fra" in pytesseract.get_languages()
    except (pytesseract.TesseractNotFoundError, OSError):
        return False


@dataclass(frozen=True)
class Upload:
    """A file a staff member sent through the upload page, spooled by the server."""

    name: str
    stream: Any  # a binary file object


def take_uploads(
    runtime: Runtime, batch_name: str, created_by: str, uploads: list[Upload],
    collected_at: datetime | None = None,
) -> tuple[PaperBatch, list[FileOutcome]]:  # fmt: skip
    """Store uploaded files as a batch: each copied to a file of its own, then taken."""
    batch = open_batch(runtime, batch_name, created_by, collected_at)
    spool = runtime.settings.data_dir / "spool"
    spool.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for upload in uploads:
        with tempfile.NamedTemporaryFile(dir=spool, suffix=".scan") as copy:
            shutil.copyfileobj(upload.stream, copy, CHUNK_BYTES)
            copy.flush()
            outcomes.append(take_file(runtime, batch, Path(copy.name), upload.name))
    return batch, outcomes


class ReadAgainRefused(PortevoixError):
    pass


def read_again(session: Session, page_id: int) -> None:
    """Send a page back to be read (after a threshold change), if nothing was recorded from it."""
    page = paper.page(session, page_id)
    if page is None:
        raise ReadAgainRefused("no such page")
    if page.contribution_id is not None:
        raise ReadAgainRefused("this page is part of a recorded contribution: decide in review")
    if page.status == paper.PENDING:
        return
    paper.release_sheet(session, page.id)
    page.status, page.reason, page.result, page.overlay_sha256 = paper.PENDING, None, None, None
    page.job_id = jobs.enqueue(session, READ_JOB, page_id=page.id).id
