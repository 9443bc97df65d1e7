"""Check one answer against its question and normalise its value."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.consultations.schema import SCALE_MAX, SCALE_MIN, Question, QuestionType
from gateway.store.models import AnswerStatus

CERTAIN = 1.0


class Reading(Protocol):
    """An answer as a channel read it: the value, and how sure it is (1.0 when typed)."""

    @property
    def value(self) -> Any: ...

    @property
    def confidence(self) -> float: ...


class InvalidAnswer(ValueError):
    pass


@dataclass(frozen=True)
class AnswerCheck:
    value: Any
    status: AnswerStatus
    reason: str | None = None


def check_answer(question: Question | None, answer: Reading, threshold: float) -> AnswerCheck:
    """Valid, to review (uncertain reading), or rejected (certain and wrong)."""
    if question is None:
        return AnswerCheck(None, AnswerStatus.REJECTED, "unknown question")
    uncertain = answer.confidence < CERTAIN
    try:
        value = normalise(question, answer.value)
    except InvalidAnswer as error:
        status = AnswerStatus.REVIEW if uncertain else AnswerStatus.REJECTED
        return AnswerCheck(_jsonable(answer.value), status, str(error))
    if answer.confidence < threshold:
        reason = f"confidence {answer.confidence:.2f} below {threshold:.2f}"
        return AnswerCheck(value, AnswerStatus.REVIEW, reason)
    return AnswerCheck(value, AnswerStatus.VALID)


def normalise(question: Question, value: Any) -> Any:
    """Return the canonical value of an answer, or raise InvalidAnswer."""
    if value is None or value == "" or value == []:
        raise InvalidAnswer("empty answer")
    kind = question.type
    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.YES_NO):
        return _one_option(question, _yes_no_alias(kind, value))
    if kind == QuestionType.MULTIPLE_CHOICE:
        return _several_options(question, value)
    if kind == QuestionType.SCALE:
        return _number(value, SCALE_MIN, SCALE_MAX, integer=True)
    if kind == QuestionType.NUMBER:
        return _number(value, question.min, question.max, question.integer)
    return _text(question, value)


def _yes_no_alias(kind: QuestionType, value: Any) -> Any:
    if kind == QuestionType.YES_NO and isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _one_option(question: Question, value: Any) -> str:
    if not isinstance(value, str) or question.option(value) is None:
        raise InvalidAnswer(f"unknown option {_show(value)}")
    return value


def _several_options(question: Question, value: Any) -> list[str]:
    keys = [value] if isinstance(value, str) else value
    if not isinstance(keys, list):
        raise InvalidAnswer("expected a list of option keys")
    chosen = [_one_option(question, key) for key in keys]
    if len(set(chosen)) != len(chosen):
        raise InvalidAnswer("an option is chosen twice")
    if len(chosen) > question.choice_limit:
        raise InvalidAnswer(f"{len(chosen)} choices, at most {question.choice_limit} allowed")
    if len(chosen) < question.min_choices:
        raise InvalidAnswer(f"{len(chosen)} choices, at least {question.min_choices} needed")
    order = [o.key for o in question.options]
    return sorted(chosen, key=order.index)


def _number(value: Any, low: float | None, high: float | None, integer: bool) -> int | float:
    number = _as_number(value)
    if integer and number != int(number):
        raise InvalidAnswer(f"{_show(value)} is not a whole number")
    if (low is not None and number < low) or (high is not None and number > high):
        raise InvalidAnswer(f"{_show(value)} is out of range {_fmt(low)}–{_fmt(high)}")
    return int(number) if integer else number


def _as_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidAnswer(f"{_show(value)} is not a number")
    try:
        number = float(value.strip().replace(",", ".") if isinstance(value, str) else value)
    except (ValueError, OverflowError):
        raise InvalidAnswer(f"{_show(value)} is not a number") from None
    if not math.isfinite(number):
        raise InvalidAnswer(f"{_show(value)} is not a number")
    return number


def _show(value: Any) -> str:
    """A value as a reason quotes it: hostile input can be very long."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _fmt(bound: float | None) -> str:
    return "…" if bound is None else f"{bound:g}"


def _text(question: Question, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidAnswer("expected text")
    text = " ".join(value.split())
    if not text:
        raise InvalidAnswer("empty answer")
    if len(text) > question.max_length:
        raise InvalidAnswer(f"{len(text)} characters, at most {question.max_length}")
    return text


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return str(value)
