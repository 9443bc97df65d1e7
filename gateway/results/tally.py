"""Tallies read from the store: per question, per option, per channel."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.consultations import repository as consultations
from gateway.consultations.schema import Question, QuestionType
from gateway.store.models import Answer, AnswerStatus, Contribution, ContributionStatus

COUNTED = ContributionStatus.COUNTED.value
REVIEW = ContributionStatus.REVIEW.value


@dataclass
class QuestionTally:
    question_id: str
    type: str
    text: str
    counts: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    answered: int = 0
    awaiting_review: int = 0
    mean: float | None = None


@dataclass
class Tally:
    code: str
    title: str
    kind: str
    contributions: dict[str, int]
    by_channel: dict[str, int]
    questions: list[QuestionTally]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "kind": self.kind,
            "contributions": self.contributions,
            "counted_by_channel": self.by_channel,
            "questions": [q.__dict__ for q in self.questions],
            "method": METHOD,
        }


METHOD = (
    "Only contributions with status 'counted' are tallied. Contributions awaiting review "
    "(uncertain readings, possible duplicates) are counted apart until a médiateur decides. "
    "Under a one-per-person policy, duplicates and superseded contributions are not counted."
)


def tally(session: Session, code: str, language: str = "fr") -> Tally:
    consultation = consultations.get(session, code)
    definition = consultations.definition_of(consultation)
    statuses = _statuses(session, consultation.id)
    rows = session.execute(
        select(
            Contribution.status,
            Contribution.channel,
            Answer.question_id,
            Answer.value,
            Answer.status,
        )
        .join(Answer, Answer.contribution_id == Contribution.id)
        .where(
            Contribution.consultation_id == consultation.id,
            Contribution.status.in_([COUNTED, REVIEW]),
        )
    ).all()
    questions = {q.id: _empty(q, language) for q in definition.all_questions}
    numbers: dict[str, list[float]] = defaultdict(list)
    for status, channel, question_id, value, answer_status in rows:
        entry = questions.get(question_id)
        if entry is None:
            continue
        if status != COUNTED or answer_status != AnswerStatus.VALID:
            entry.awaiting_review += status == REVIEW
            continue
        _count(entry, definition.question(question_id), channel, value, numbers[question_id])
    for question_id, values in numbers.items():
        questions[question_id].mean = round(sum(values) / len(values), 2) if values else None
    return Tally(
        code=consultation.code,
        title=definition.title.get(language),
        kind=definition.kind.value,
        contributions=dict(statuses),
        by_channel=_counted_by_channel(session, consultation.id),
        questions=list(questions.values()),
    )


def _statuses(session: Session, consultation_id: int) -> Counter[str]:
    return Counter(
        session.scalars(
            select(Contribution.status).where(Contribution.consultation_id == consultation_id)
        )
    )


def _counted_by_channel(session: Session, consultation_id: int) -> dict[str, int]:
    return dict(
        Counter(
            session.scalars(
                select(Contribution.channel).where(
                    Contribution.consultation_id == consultation_id,
                    Contribution.status == COUNTED,
                )
            )
        )
    )


def _empty(question: Question, language: str) -> QuestionTally:
    entry = QuestionTally(question.id, question.type.value, question.text.get(language))
    entry.counts = {o.key: 0 for o in question.options}
    return entry


def _count(
    entry: QuestionTally,
    question: Question | None,
    channel: str,
    value: Any,
    numbers: list[float],
) -> None:
    entry.answered += 1
    if question is None:
        return
    keys = _keys(question, value)
    per_channel = entry.by_channel.setdefault(channel, {})
    for key in keys:
        entry.counts[key] = entry.counts.get(key, 0) + 1
        per_channel[key] = per_channel.get(key, 0) + 1
    if question.type in (QuestionType.SCALE, QuestionType.NUMBER):
        numbers.append(float(value))


def _keys(question: Question, value: Any) -> list[str]:
    if question.type == QuestionType.TEXT:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]
