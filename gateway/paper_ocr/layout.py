"""Where everything goes on a printed form: one plan per definition version.

The plan is computed from the definition alone (text metrics included), so the
printer and the reader agree on every box without reading the PDF back. Its boxes
are what `portevoix paper layout` writes; its lines of text are what the printer
draws. Coordinates are PDF points from the page's top-left corner.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit

from gateway.consultations.schema import (
    CHOICE_TYPES,
    SCALE_MAX,
    SCALE_MIN,
    Definition,
    Kind,
    Question,
    QuestionType,
)
from gateway.i18n import N_, t
from gateway.paper_ocr import codes

MM = 72 / 25.4
PAGE_W, PAGE_H = A4
FONT, BOLD = "Helvetica", "Helvetica-Bold"
# Four markers, 12 mm wide, with their outer edge 12 mm inside each corner.
MARKER_SIZE = 12 * MM
MARKER_INSET = 12 * MM
QR_SIZE = 28 * MM
MARGIN = 28 * MM
TOP = MARKER_INSET + QR_SIZE + 6 * MM
BOTTOM = PAGE_H - 32 * MM
CHECKBOX = 7 * MM
OPTION_ROW = 11 * MM  # 7 mm boxes 4 mm apart
TEXT_BOX_H = 32 * MM
NUMBER_BOX = (60 * MM, 14 * MM)
SCALE_STEP = 22 * MM
TITLE_SIZE, QUESTION_SIZE, BODY_SIZE = 18, 14, 13
LANGUAGE = "fr"


@dataclass(frozen=True)
class Box:
    question_id: str
    option_key: str | None
    kind: str  # "checkbox" or "text"
    rect_pt: tuple[float, float, float, float]

    def as_json(self) -> dict[str, Any]:
        return {
            "question_id": self.question_id,
            "option_key": self.option_key,
            "kind": self.kind,
            "rect_pt": [round(v, 2) for v in self.rect_pt],
        }


@dataclass(frozen=True)
class Line:
    """A line of printed text: its baseline's left end, font and size."""

    x: float
    y: float
    text: str
    font: str = FONT
    size: float = BODY_SIZE


@dataclass
class PagePlan:
    number: int
    boxes: list[Box] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    consultation: str
    version_hash: str
    ballot: bool
    pages: list[PagePlan]
    # The printed questions, hashed: what a mark on this form means.
    questions_hash: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "consultation": self.consultation,
            "version_hash": self.version_hash,
            "page_size_pt": [round(PAGE_W, 2), round(PAGE_H, 2)],
            "origin": "top-left",
            "pages": [
                {"page": p.number, "boxes": [b.as_json() for b in p.boxes]} for p in self.pages
            ],
        }

    @property
    def form_version(self) -> str:
        """What a printed page's QR code carries: the printed questions and the boxes'
        places, so a page is never read against boxes or options it was not printed
        with. The rest of the definition is left out: extending the closing date or
        publishing the results must not make the forms already handed out unreadable."""
        boxes = json.dumps(self.as_json()["pages"], sort_keys=True)
        digest = hashlib.sha256(f"{self.questions_hash}:{boxes}".encode()).hexdigest()
        return digest[: codes.VERSION_CHARS].upper()

    def page(self, number: int) -> PagePlan | None:
        return self.pages[number - 1] if 1 <= number <= len(self.pages) else None


def printed_questions(definition: Definition) -> list[Question]:
    """A ballot asks the vote's questions only: nothing that could tell who voted."""
    if definition.kind == Kind.VOTE:
        return list(definition.questions)
    return definition.all_questions


def plan(definition: Definition, version_hash: str) -> Layout:
    """Lay out every printed question over as many A4 pages as it takes."""
    writer = _Writer()
    writer.header(definition)
    questions = printed_questions(definition)
    for question in questions:
        writer.question(question)
    printed = json.dumps([q.model_dump(mode="json") for q in questions], sort_keys=True)
    return Layout(
        definition.code,
        version_hash,
        definition.kind == Kind.VOTE,
        writer.pages,
        hashlib.sha256(printed.encode()).hexdigest(),
    )


class _Writer:
    """Fills pages top to bottom; a question never straddles two pages."""

    def __init__(self) -> None:
        self.pages = [PagePlan(1)]
        self.y = TOP

    @property
    def current(self) -> PagePlan:
        return self.pages[-1]

    def header(self, definition: Definition) -> None:
        self.paragraph(definition.title.get(LANGUAGE), BOLD, TITLE_SIZE)
        self.y += 2 * MM
        for message in INSTRUCTIONS:
            self.paragraph(t(LANGUAGE, message), FONT, BODY_SIZE)
        self.y += 4 * MM

    def question(self, question: Question) -> None:
        blocks = _question_blocks(question)
        height = sum(h for h, _ in blocks) + _text_height(question, BOLD, QUESTION_SIZE)
        if self.y + height > BOTTOM and self.y > TOP:
            self.pages.append(PagePlan(len(self.pages) + 1))
            self.y = TOP
        self.paragraph(question.text.get(LANGUAGE), BOLD, QUESTION_SIZE)
        self.y += 1 * MM
        for block_height, draw in blocks:
            draw(self, question)
            self.y += block_height
        self.y += 5 * MM

    def paragraph(self, text: str, font: str, size: float) -> None:
        for line in simpleSplit(text, font, size, PAGE_W - 2 * MARGIN):
            self.y += size * 1.25
            self.current.lines.append(Line(MARGIN, self.y, line, font, size))
        self.y += size * 0.35

    def option_rows(self, question: Question) -> None:
        for index, option in enumerate(question.options):
            top = self.y + index * OPTION_ROW
            self.current.boxes.append(
                Box(question.id, option.key, "checkbox", (MARGIN, top, CHECKBOX, CHECKBOX))
            )
            baseline = top + CHECKBOX - 1.2 * MM
            label = option.label.get(LANGUAGE)
            self.current.lines.append(Line(MARGIN + CHECKBOX + 4 * MM, baseline, label))

    def scale_row(self, question: Question) -> None:
        for index, value in enumerate(range(SCALE_MIN, SCALE_MAX + 1)):
            left = MARGIN + index * SCALE_STEP
            rect = (left, self.y, CHECKBOX, CHECKBOX)
            self.current.boxes.append(Box(question.id, str(value), "checkbox", rect))
            baseline = self.y + CHECKBOX - 1.2 * MM
            self.current.lines.append(Line(left + CHECKBOX + 2.5 * MM, baseline, str(value), BOLD))
        labels = " · ".join(f"{k} = {v.get(LANGUAGE)}" for k, v in question.scale_labels.items())
        if labels:
            self.current.lines.append(Line(MARGIN, self.y + CHECKBOX + 5 * MM, labels, FONT, 11))

    def number_box(self, question: Question) -> None:
        width, height = NUMBER_BOX
        self.current.boxes.append(Box(question.id, None, "text", (MARGIN, self.y, width, height)))
        hint = t(LANGUAGE, "Write a number in figures.")
        self.current.lines.append(Line(MARGIN + width + 4 * MM, self.y + 9 * MM, hint, FONT, 11))

    def text_box(self, question: Question) -> None:
        width = PAGE_W - 2 * MARGIN
        self.current.boxes.append(
            Box(question.id, None, "text", (MARGIN, self.y, width, TEXT_BOX_H))
        )


def _question_blocks(question: Question) -> list[tuple[float, Any]]:
    if question.type in CHOICE_TYPES:
        return [(len(question.options) * OPTION_ROW, _Writer.option_rows)]
    if question.type == QuestionType.SCALE:
        extra = 7 * MM if question.scale_labels else 0
        return [(OPTION_ROW + extra, _Writer.scale_row)]
    if question.type == QuestionType.NUMBER:
        return [(NUMBER_BOX[1] + 3 * MM, _Writer.number_box)]
    return [(TEXT_BOX_H + 3 * MM, _Writer.text_box)]


def _text_height(question: Question, font: str, size: float) -> float:
    lines = simpleSplit(question.text.get(LANGUAGE), font, size, PAGE_W - 2 * MARGIN)
    return len(lines) * size * 1.25 + size * 0.35 + 6 * MM


# Printed at the top of every form, in this order (message ids, French in the catalogue).
INSTRUCTIONS = (
    N_("To answer, put a cross or a tick in the box."),
    N_("To cancel an answer, fill the whole box in black. Then cross the right box."),
    N_("Write in capital letters inside the frames. Do not fold this sheet."),
)
