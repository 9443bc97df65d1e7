"""A test deck: printed forms filled with known answers, degraded, read, compared.

Used by the tests and by `bench/paper_deck.py` to measure what the reader does to
a batch a commune could really send: ticks, crosses, light pencil, full fills
(cancellations), stray marks and overvotes, then rotation, scale, blur, noise,
JPEG, fax-like binarisation and slight perspective.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from gateway.consultations.schema import Definition, Question, QuestionType
from gateway.paper_ocr import marks
from gateway.paper_ocr.layout import Box, PagePlan

TO_REVIEW = "review"  # the truth of an answer a person must look at (an overvote)
STYLES = ("cross", "tick", "faint")


@dataclass
class Truth:
    """What was put on a page: each box's intended band, each question's answer."""

    boxes: dict[tuple[str, str | None], str] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Habits:
    """How often the deck's residents do each thing."""

    faint: float = 0.1
    cancel: float = 0.08
    overvote: float = 0.05
    blank: float = 0.05
    stray: float = 0.2


def fill(
    gray: np.ndarray, dpi: float, plan: PagePlan, definition: Definition, rng: np.random.Generator,
    habits: Habits = Habits(),
) -> Truth:  # fmt: skip
    """Answer every question of a page in place on `gray`; return what was meant."""
    truth = Truth()
    by_question: dict[str, list[Box]] = {}
    for box in plan.boxes:
        by_question.setdefault(box.question_id, []).append(box)
        truth.boxes[(box.question_id, box.option_key)] = marks.EMPTY
    for question_id, boxes in by_question.items():
        question = definition.question(question_id)
        assert question is not None
        _answer(gray, dpi, question, boxes, rng, habits, truth)
    if rng.random() < habits.stray:
        _stray(gray, dpi, rng)
    return truth


def _answer(
    gray: np.ndarray, dpi: float, question: Question, boxes: list[Box],
    rng: np.random.Generator, habits: Habits, truth: Truth,
) -> None:  # fmt: skip
    if boxes[0].kind == "text":
        _write(gray, dpi, question, boxes[0], rng, truth)
        return
    if rng.random() < habits.blank:
        truth.answers[question.id] = TO_REVIEW if question.required else None
        return
    chosen = _choose(question, boxes, rng)
    if question.choice_limit == 1 and rng.random() < habits.overvote:
        chosen = [int(i) for i in rng.choice(len(boxes), 2, replace=False)]
        truth.answers[question.id] = TO_REVIEW
    else:
        keys = [boxes[i].option_key for i in chosen]
        truth.answers[question.id] = _value(question, keys)
    for index in chosen:
        style = "faint" if rng.random() < habits.faint else str(rng.choice(STYLES[:2]))
        mark(gray, dpi, boxes[index], style, rng)
        truth.boxes[(question.id, boxes[index].option_key)] = marks.MARKED
    others = [i for i in range(len(boxes)) if i not in chosen]
    if others and rng.random() < habits.cancel:
        cancelled = int(rng.choice(others))
        mark(gray, dpi, boxes[cancelled], "fill", rng)
        truth.boxes[(question.id, boxes[cancelled].option_key)] = marks.CANCELLED


def _choose(question: Question, boxes: list[Box], rng: np.random.Generator) -> list[int]:
    low = max(1, question.min_choices)
    count = int(rng.integers(low, question.choice_limit + 1))
    return sorted(int(i) for i in rng.choice(len(boxes), count, replace=False))


def _value(question: Question, keys: list[str | None]) -> Any:
    if question.type == QuestionType.MULTIPLE_CHOICE:
        return keys
    if question.type == QuestionType.SCALE:
        return int(str(keys[0]))
    return keys[0]


def mark(gray: np.ndarray, dpi: float, box: Box, style: str, rng: np.random.Generator) -> None:
    """Draw one kind of mark in a box, as a hand would: a little off-centre, uneven."""
    x, y, w, h = (v * dpi / 72 for v in box.rect_pt)
    jitter = rng.uniform(-0.06, 0.06, 4) * w
    ink = int(rng.integers(15, 70))
    pen = max(2, round(dpi / 25.4 * rng.uniform(0.5, 0.8)))
    if style == "fill":
        pad = w * 0.06
        cv2.rectangle(gray, _pt(x + pad, y + pad), _pt(x + w - pad, y + h - pad), ink, -1)
    elif style == "tick":
        points = [(0.18, 0.55), (0.42, 0.82), (0.86, 0.15)]
        _polyline(gray, x, y, w, h, points, jitter, ink, pen)
    else:
        faint = style == "faint"
        ink = int(rng.integers(100, 135)) if faint else ink
        pen = max(1, round(dpi / 25.4 * 0.35)) if faint else pen
        _polyline(gray, x, y, w, h, [(0.15, 0.15), (0.85, 0.85)], jitter, ink, pen)
        _polyline(gray, x, y, w, h, [(0.85, 0.15), (0.15, 0.85)], jitter, ink, pen)


def _polyline(
    gray: np.ndarray, x: float, y: float, w: float, h: float,
    points: list[tuple[float, float]], jitter: np.ndarray, ink: int, pen: int,
) -> None:  # fmt: skip
    pts = np.array(
        [
            (x + px * w + jitter[i % 2], y + py * h + jitter[2 + i % 2])
            for i, (px, py) in enumerate(points)
        ],
        np.int32,
    )
    cv2.polylines(gray, [pts], False, ink, pen, cv2.LINE_AA)


def _pt(x: float, y: float) -> tuple[int, int]:
    return round(x), round(y)


def _write(
    gray: np.ndarray, dpi: float, question: Question, box: Box,
    rng: np.random.Generator, truth: Truth,
) -> None:  # fmt: skip
    x, y, w, h = (v * dpi / 72 for v in box.rect_pt)
    truth.boxes[(question.id, None)] = marks.WRITTEN
    if question.type == QuestionType.NUMBER:
        value = int(rng.integers(0, 40))
        scale = h / 40
        origin = _pt(x + 0.08 * w, y + 0.78 * h)
        cv2.putText(
            gray, str(value), origin, cv2.FONT_HERSHEY_SIMPLEX, scale, 20, max(2, round(scale * 2))
        )
        truth.answers[question.id] = value
        return
    origin = _pt(x + 0.05 * w, y + 0.55 * h)
    cv2.putText(gray, "plus d'arbres", origin, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, h / 60, 30, 2)
    truth.answers[question.id] = TO_REVIEW


def _stray(gray: np.ndarray, dpi: float, rng: np.random.Generator) -> None:
    """A pen slip in the right margin, away from every box."""
    x = int(gray.shape[1] * rng.uniform(0.86, 0.9))
    y = int(gray.shape[0] * rng.uniform(0.3, 0.7))
    cv2.line(gray, (x, y), (x + int(dpi / 5), y + int(dpi / 8)), 40, max(2, int(dpi / 60)))


# Degradations, each a function of (image, rng) → image.
def rotate(gray: np.ndarray, degrees: float, scale: float = 1.0) -> np.ndarray:
    """Rotate and scale about the centre, on a canvas that holds the whole sheet."""
    h, w = gray.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, scale)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    size = (round(h * sin + w * cos), round(h * cos + w * sin))
    matrix[:, 2] += (size[0] - w) / 2, (size[1] - h) / 2
    return cv2.warpAffine(gray, matrix, size, borderValue=255, flags=cv2.INTER_LINEAR)


def perspective(gray: np.ndarray, rng: np.random.Generator, amount: float = 0.02) -> np.ndarray:
    h, w = gray.shape
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    moved = corners + rng.uniform(-amount, amount, (4, 2)).astype(np.float32) * [w, h]
    matrix = cv2.getPerspectiveTransform(corners, moved.astype(np.float32))
    return cv2.warpPerspective(gray, matrix, (w, h), borderValue=255)


def noise(gray: np.ndarray, rng: np.random.Generator, sigma: float = 8.0) -> np.ndarray:
    noisy = gray.astype(np.float32) + rng.normal(0, sigma, gray.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def blur(gray: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    return cv2.GaussianBlur(gray, (0, 0), sigma)


def jpeg(gray: np.ndarray, quality: int = 50) -> np.ndarray:
    _, data = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    assert decoded is not None
    return np.asarray(decoded, np.uint8)


def fax(gray: np.ndarray) -> np.ndarray:
    """Binarised as a fax machine would: black or white, nothing between."""
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary


def degrade(gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random mix of the degradations the issue lists."""
    angle = 180.0 if rng.random() < 0.15 else float(rng.uniform(-5, 5))
    out = rotate(gray, angle, float(rng.uniform(0.97, 1.03)))
    if rng.random() < 0.4:
        out = perspective(out, rng)
    if rng.random() < 0.4:
        out = blur(out)
    if rng.random() < 0.5:
        out = noise(out, rng)
    if rng.random() < 0.3:
        out = jpeg(out)
    elif rng.random() < 0.2:
        out = fax(out)
    return out
