"""make_* helpers for the paper tests: print real forms, rasterise, mark, scan."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium

from gateway.jobs import run_job
from gateway.paper_ocr import codes, deck, printing, service
from gateway.paper_ocr import repository as paper
from gateway.paper_ocr.layout import Box, Layout
from gateway.runtime import Runtime
from gateway.store.session import transaction
from tests.helpers import load_examples


def make_layout(runtime: Runtime, code: str) -> Layout:
    load_examples(runtime)
    with runtime.sessions() as session:
        from gateway.consultations import repository as consultations

        consultation = consultations.get(session, code)
        return service.layout_of(
            consultation.definition_hash, consultations.definition_of(consultation)
        )


def make_pdf(layout: Layout, key: bytes, copies: int = 1, *, test: bool = False) -> bytes:
    out = io.BytesIO()
    printing.print_copies(layout, key, copies, out, test=test)
    return out.getvalue()


def make_pages(pdf: bytes, dpi: float = 200) -> list[np.ndarray]:
    """Every page of a printed PDF as a grayscale scan at `dpi`."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for index in range(len(document)):
            bitmap = document[index].render(scale=dpi / 72, grayscale=True)
            pages.append(np.array(bitmap.to_numpy()).reshape(bitmap.height, bitmap.width).copy())
        return pages
    finally:
        document.close()


def key_of(runtime: Runtime) -> bytes:
    return codes.mac_key(runtime.settings.secret)


def box(layout: Layout, question_id: str, option_key: str | None, page: int = 1) -> Box:
    plan = layout.page(page)
    assert plan is not None
    return next(b for b in plan.boxes if (b.question_id, b.option_key) == (question_id, option_key))


def make_marks(
    gray: np.ndarray,
    dpi: float,
    layout: Layout,
    marks: dict[tuple[str, str | None], str],
    page: int = 1,
) -> np.ndarray:
    """Mark boxes in place: (question, option) → cross, tick, faint or fill."""
    rng = np.random.default_rng(7)
    for (question_id, option_key), style in marks.items():
        deck.mark(gray, dpi, box(layout, question_id, option_key, page), style, rng)
    return gray


def make_png(tmp_path: Path, gray: np.ndarray, name: str) -> Path:
    import cv2

    path = tmp_path / name
    assert cv2.imwrite(str(path), gray)
    return path


def scan(runtime: Runtime, paths: list[Path], batch: str = "lot-1") -> list[dict[str, Any]]:
    """Store the files, run every read job, return the pages as `--json` prints them."""
    opened = service.open_batch(runtime, batch, "test")
    outcomes = [service.take_file(runtime, opened, path) for path in paths]
    for job_id in service.pending_jobs(runtime, opened.id):
        run_job(runtime, job_id)
    with transaction(runtime.sessions) as session:
        return [
            service.page_json(page, outcome.path.name)
            for outcome in outcomes
            if outcome.file_id is not None
            for page in paper.pages_of_file(session, outcome.file_id)
        ]


def make_ballot(
    runtime: Runtime, layout: Layout, marks: dict[tuple[str, str | None], str], dpi: float = 200
) -> np.ndarray:
    """One printed copy's first page, scanned at `dpi`, with these marks."""
    page = make_pages(make_pdf(layout, key_of(runtime)), dpi)[0]
    return make_marks(page, dpi, layout, marks)
