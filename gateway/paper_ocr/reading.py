"""Read one scanned page end to end: place it, check its code, decide every box.

Pure image work: the caller says which forms exist (`FormLookup`) and keeps what
comes back. Every outcome carries a status (read, review, rejected) and a reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import pytesseract

from gateway.consultations.schema import Definition, QuestionType
from gateway.paper_ocr import codes, marks, reader
from gateway.paper_ocr.layout import MARKER_SIZE, Box, Layout
from gateway.paper_ocr.printing import marker_origins
from gateway.paper_ocr.reader import PX_PER_PT, NotLocated

READ, REVIEW, REJECTED, DUPLICATE = "read", "review", "rejected", "duplicate"


class _TesseractEnvironment(Mapping[str, str]):
    """The process's environment with one OpenMP thread, for the Tesseract process only.

    Jobs already read pages side by side. Set in os.environ instead, the limit would
    also bind CTranslate2 in this process, and its speech-to-text then hears nothing.
    """

    def __getitem__(self, key: str) -> str:
        return "1" if key == "OMP_THREAD_LIMIT" else os.environ[key]

    def __iter__(self) -> Iterator[str]:
        return iter({*os.environ, "OMP_THREAD_LIMIT"})

    def __len__(self) -> int:
        return len({*os.environ, "OMP_THREAD_LIMIT"})


# pytesseract starts Tesseract with this module-level environment.
pytesseract.pytesseract.environ = _TesseractEnvironment()
# Tesseract reads one line of boxed digits; its words' confidences are 0-100.
TESSERACT_CONFIG = "--psm 7 -c tessedit_char_whitelist=0123456789"
TESSERACT_LANGUAGE = "fra"


class FormRefused(Exception):
    """The page's code names no form this gateway can count (unknown, outdated)."""


@dataclass(frozen=True)
class Form:
    definition: Definition
    layout: Layout


FormLookup = Callable[[codes.PageCode], Form]


@dataclass
class PageResult:
    status: str
    reason: str | None = None
    code: codes.PageCode | None = None
    fit_error_pt: float | None = None
    boxes: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, marks.QuestionReading] = field(default_factory=dict)
    page: np.ndarray | None = None  # upright, for the overlay and crops
    crops: dict[str, bytes] = field(default_factory=dict)  # question id → PNG

    def as_json(self) -> dict[str, Any]:
        code = self.code
        return {
            "serial": code.serial if code else None,
            "form_page": code.page if code else None,
            "status": self.status,
            "reason": self.reason,
            "answers": {qid: a.as_json() for qid, a in self.answers.items()},
            "boxes": self.boxes,
        }


def read_page(
    gray: np.ndarray,
    key: bytes,
    lookup: FormLookup,
    limits: marks.Thresholds = marks.DEFAULT,
    review_below: float = 0.8,
) -> PageResult:
    """Place, identify and read one page; never raises for a bad page."""
    try:
        location = reader.locate(gray)
    except NotLocated as refusal:
        return PageResult(REVIEW if refusal.review else REJECTED, refusal.reason)
    result = PageResult(READ, fit_error_pt=round(location.fit_error_pt, 2))
    page = reader.upright(gray, location)
    payload = reader.qr_payload(gray, page, location)
    if payload is None:
        result.status, result.reason = REVIEW, "the QR code cannot be read"
        return result
    try:
        result.code = codes.parse(payload, key)
        form = _form(result.code, location, lookup)
    except (codes.BadCode, FormRefused) as refusal:
        result.status, result.reason = REJECTED, str(refusal)
        return result
    result.page = page
    _read_boxes(result, form, limits, review_below)
    return result


def _form(code: codes.PageCode, location: reader.Location, lookup: FormLookup) -> Form:
    if location.page != code.page:
        raise FormRefused(f"the markers are of page {location.page}, the code of page {code.page}")
    form = lookup(code)
    if len(form.layout.pages) != code.pages:
        raise FormRefused("the form's page count does not match its version")
    return form


def _read_boxes(
    result: PageResult, form: Form, limits: marks.Thresholds, review_below: float
) -> None:
    assert result.page is not None and result.code is not None
    plan = form.layout.page(result.code.page)
    assert plan is not None
    decisions: dict[str, dict[str, str]] = {}
    texts: dict[str, Box] = {}
    for box in plan.boxes:
        scores = reader.measure(result.page, box)
        decision = marks.decide(scores.fill, scores.solid, box.kind, limits)
        result.boxes.append(_box_json(box, scores, decision))
        if box.kind == "text":
            texts[box.question_id] = box
        decisions.setdefault(box.question_id, {})[box.option_key or ""] = decision
    for question_id, boxes in decisions.items():
        answer = _answer(form, question_id, boxes, texts.get(question_id), result, review_below)
        if answer is not None:
            result.answers[question_id] = answer
    if any(a.status == marks.REVIEW for a in result.answers.values()):
        result.status = REVIEW
        result.reason = "; ".join(
            f"{qid}: {a.reason}" for qid, a in result.answers.items() if a.reason
        )


def _box_json(box: Box, scores: reader.Scores, decision: str) -> dict[str, Any]:
    return {
        "question_id": box.question_id,
        "option_key": box.option_key,
        "kind": box.kind,
        "rect_pt": list(box.as_json()["rect_pt"]),
        "scores": {"fill": scores.fill, "solid": scores.solid, "paper": scores.paper},
        "decision": decision,
    }


def _answer(
    form: Form,
    question_id: str,
    decisions: dict[str, str],
    text_box: Box | None,
    result: PageResult,
    review_below: float,
) -> marks.QuestionReading | None:
    question = form.definition.question(question_id)
    assert question is not None, "the layout names a question of its own definition"
    if text_box is None:
        return marks.choice_answer(question, decisions)
    assert result.page is not None
    if decisions[""] == marks.EMPTY:
        if question.required:
            return marks.QuestionReading(None, marks.REVIEW, "nothing written", 0.0)
        return None
    crop = crop_of(result.page, text_box)
    result.crops[question_id] = _png(crop)
    if question.type == QuestionType.NUMBER:
        return marks.number_answer(*read_digits(crop), review_below)
    return marks.written_answer()


def crop_of(page: np.ndarray, box: Box) -> np.ndarray:
    x0, y0, x1, y1 = reader.box_pixels(box, reader.TEXT_INSET / 2)
    return page[y0:y1, x0:x1]


def read_digits(crop: np.ndarray) -> tuple[str, float]:
    """Tesseract on one line of boxed digits: the text and its mean confidence (0-1)."""
    data = pytesseract.image_to_data(
        crop, lang=TESSERACT_LANGUAGE, config=TESSERACT_CONFIG, output_type=pytesseract.Output.DICT
    )
    words = [(w, float(c)) for w, c in zip(data["text"], data["conf"], strict=True) if w.strip()]
    if not words:
        return "", 0.0
    text = "".join(w for w, _ in words)
    return text, min(c for _, c in words) / 100


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    assert ok
    return bytes(data.tobytes())


# Overlay colours (BGR) per decision.
COLOURS = {
    marks.EMPTY: (160, 160, 160),
    marks.MARKED: (40, 160, 40),
    marks.CANCELLED: (200, 90, 20),
    marks.UNCERTAIN: (0, 140, 255),
    marks.WRITTEN: (180, 40, 180),
}


def overlay(result: PageResult) -> bytes | None:
    """The upright page with its markers, boxes and decisions drawn over it, as PNG."""
    if result.page is None:
        return None
    canvas = cv2.cvtColor(result.page, cv2.COLOR_GRAY2BGR)
    for x, y in marker_origins():
        _rectangle(canvas, (x, y, MARKER_SIZE, MARKER_SIZE), (255, 0, 0), 2)
    for box in result.boxes:
        _rectangle(canvas, tuple(box["rect_pt"]), COLOURS[box["decision"]], 3)
    label = f"{result.status}: {result.reason or ''}"[:120]
    cv2.putText(canvas, label, (20, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 200), 2)
    return _png(canvas)


def _rectangle(
    canvas: np.ndarray,
    rect: tuple[float, float, float, float],
    colour: tuple[int, int, int],
    width: int,
) -> None:
    x, y, w, h = (round(v * PX_PER_PT) for v in rect)
    cv2.rectangle(canvas, (x - 3, y - 3), (x + w + 3, y + h + 3), colour, width)
