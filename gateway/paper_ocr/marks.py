"""From box scores to decisions, and from decisions to answers: never a guess.

Each checkbox falls in one of four bands: empty, marked (a cross or a tick),
cancelled (filled in black, the convention printed on every form) or uncertain.
A question is counted only when every one of its boxes is clearly empty, marked or
cancelled and the marks fit the question; anything else goes to a person with the
reason. The thresholds are plain numbers here and in the method section; the raw
scores are kept, so a change of threshold can be replayed on pages already read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from gateway.consultations.schema import Question, QuestionType

EMPTY, MARKED, CANCELLED, UNCERTAIN = "empty", "marked", "cancelled", "uncertain"
WRITTEN = "written"
COUNTED, REVIEW = "counted", "review"


@dataclass(frozen=True)
class Thresholds:
    """Where the bands start, as fractions of a box's inside."""

    empty_below: float = 0.05  # fill under this: nothing there
    marked_from: float = 0.10  # fill from this, made of strokes: a cross or a tick
    thin_below: float = 0.6  # solid ÷ fill under this: strokes, not a filled area
    cancelled_from: float = 0.75  # solid from this: the box was filled in black
    writing_from: float = 0.008  # fill of a text box from which something is written

    def as_json(self) -> dict[str, float]:
        return asdict(self)


DEFAULT = Thresholds()


def thresholds(overrides: dict[str, float]) -> Thresholds:
    """The default bands with the operator's changes; an unknown name is refused."""
    unknown = set(overrides) - set(DEFAULT.as_json())
    if unknown:
        raise ValueError(f"unknown paper thresholds: {', '.join(sorted(unknown))}")
    return replace(DEFAULT, **overrides)


def decide(fill: float, solid: float, kind: str, limits: Thresholds = DEFAULT) -> str:
    """The band of one box from its scores."""
    if kind == "text":
        return WRITTEN if fill >= limits.writing_from else EMPTY
    if solid >= limits.cancelled_from:
        return CANCELLED
    if fill < limits.empty_below:
        return EMPTY
    if fill >= limits.marked_from and solid < limits.thin_below * fill:
        return MARKED
    return UNCERTAIN


@dataclass(frozen=True)
class QuestionReading:
    """What the page says to one question: a value to count, or a reason to look."""

    value: Any
    status: str
    reason: str | None = None
    confidence: float = 1.0

    def as_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "confidence": self.confidence,
            "status": self.status,
            "reason": self.reason,
        }


def choice_answer(question: Question, decisions: dict[str, str]) -> QuestionReading | None:
    """The answer of a choice or scale question from its boxes' decisions; None if blank."""
    marked = [key for key, decision in decisions.items() if decision == MARKED]
    uncertain = [key for key, decision in decisions.items() if decision == UNCERTAIN]
    if uncertain:
        return _review(f"unclear mark on {', '.join(uncertain)}", marked)
    if not marked:
        return _review("nothing marked", marked) if _required(question) else None
    if len(marked) > question.choice_limit:
        return _review(f"overvote: {len(marked)} marks for {question.choice_limit}", marked)
    if len(marked) < question.min_choices and question.type == QuestionType.MULTIPLE_CHOICE:
        return _review(f"{len(marked)} marks, {question.min_choices} at least", marked)
    return QuestionReading(_value(question, marked), COUNTED)


def _required(question: Question) -> bool:
    return question.required or (
        question.type == QuestionType.MULTIPLE_CHOICE and question.min_choices > 0
    )


def _value(question: Question, marked: list[str]) -> Any:
    if question.type == QuestionType.MULTIPLE_CHOICE:
        return marked
    if question.type == QuestionType.SCALE:
        return int(marked[0])
    return marked[0]


def _review(reason: str, marked: list[str]) -> QuestionReading:
    return QuestionReading(marked, REVIEW, reason, confidence=0.0)


def number_answer(text: str, confidence: float, review_below: float) -> QuestionReading:
    """A number read by Tesseract; counted only when it is digits read with confidence."""
    digits = text.strip()
    if not digits.isdigit():
        return QuestionReading(None, REVIEW, f"not read as a number: {digits!r}", 0.0)
    if confidence < review_below:
        return QuestionReading(
            int(digits), REVIEW, f"read {digits} with confidence {confidence:.2f}", confidence
        )
    return QuestionReading(int(digits), COUNTED, None, confidence)


def written_answer() -> QuestionReading:
    """Handwriting goes to the transcription queue, with its crop: never read by machine."""
    return QuestionReading(None, REVIEW, "handwritten: to transcribe", 0.0)


def replay(boxes: list[dict[str, Any]], limits: Thresholds) -> list[tuple[dict[str, Any], str]]:
    """The boxes whose decision would change under other thresholds, with the new decision."""
    changed = []
    for box in boxes:
        scores = box["scores"]
        decision = decide(scores["fill"], scores["solid"], box["kind"], limits)
        if decision != box["decision"]:
            changed.append((box, decision))
    return changed
