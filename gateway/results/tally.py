"""Tallies read from the store: per question, option and channel, with the ranking.

The database groups and counts (see `repository`); this module only adds the grouped
rows up, so its cost depends on the number of distinct answers, not of contributions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

from sqlalchemy.orm import Session

from gateway.consultations import repository as consultations
from gateway.consultations.schema import CHOICE_TYPES, Definition, Question, QuestionType
from gateway.results import repository
from gateway.results.imports import totals
from gateway.results.inclusion import Inclusion, inclusion
from gateway.results.method import Method, method
from gateway.store.base import utcnow

METHOD = (
    "Only contributions with status 'counted' are tallied. Contributions awaiting review "
    "(uncertain readings, possible duplicates) are counted apart until a médiateur decides. "
    "Under a one-per-person policy, duplicates and superseded contributions are not counted."
)


@dataclass
class Rank:
    """An option's place: options with the same count share a place (1, 2, 2, 4)."""

    key: str
    label: str
    count: int
    rank: int
    tied_with: list[str] = field(default_factory=list)


@dataclass
class Project:
    key: str
    label: str
    amount: int
    votes: int
    funded: bool
    # Tied with a project on the other side of the line: the order among them decided.
    tie_decided: bool = False


@dataclass
class Envelope:
    """What fits in the budget: projects by votes, each kept if it still fits."""

    budget: int
    spent: int
    projects: list[Project]

    @property
    def left(self) -> int:
        return self.budget - self.spent


# Where imported totals come from, as the results name them.
IMPORTED_SOURCES = {
    totals.PROJECTS: "online, imported totals",
    totals.PAPER_BALLOTS: "paper, imported totals",
}


@dataclass
class QuestionTally:
    question_id: str
    type: str
    text: str
    profile: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    answered: int = 0
    answered_by_channel: dict[str, int] = field(default_factory=dict)
    awaiting_review: int = 0
    awaiting_by_channel: dict[str, int] = field(default_factory=dict)
    # What the machine read in answers still awaiting review: not counted yet.
    awaiting_counts: dict[str, int] = field(default_factory=dict)
    mean: float | None = None
    ranking: list[Rank] = field(default_factory=list)
    # True when the answers awaiting review are enough to change the order.
    ranking_unsettled: bool = False
    # Totals another platform counted, per source (see `IMPORTED_SOURCES`): votes, not people.
    imported: dict[str, dict[str, int]] = field(default_factory=dict)
    # What the ranking and the envelope use: counted answers plus imported totals.
    votes: dict[str, int] = field(default_factory=dict)
    envelope: Envelope | None = None
    _sum: float = 0.0
    _numbers: int = 0


@dataclass
class Tally:
    code: str
    title: str
    kind: str
    language: str
    contributions: dict[str, int]
    by_channel: dict[str, int]
    questions: list[QuestionTally]
    inclusion: Inclusion
    method: Method
    published: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "kind": self.kind,
            "published": self.published,
            "contributions": self.contributions,
            "counted_by_channel": self.by_channel,
            "questions": [_question_dict(q) for q in self.questions],
            "inclusion": asdict(self.inclusion),
            "method": {"rule": METHOD, **asdict(self.method)},
        }

    def question(self, question_id: str) -> QuestionTally:
        return next(q for q in self.questions if q.question_id == question_id)


def _question_dict(question: QuestionTally) -> dict[str, Any]:
    data = {k: v for k, v in asdict(question).items() if not k.startswith("_")}
    if question.envelope is not None:
        data["envelope"]["left"] = question.envelope.left
    return data


def tally(
    session: Session, code: str, language: str = "fr", default_threshold: float = 0.8
) -> Tally:
    """Count a consultation's answers; `default_threshold` is the operator's review setting."""
    consultation = consultations.get(session, code)
    definition = consultations.definition_of(consultation)
    scans = repository.scan(session, consultation.id)
    questions = _question_tallies(scans.answer_groups, definition, language)
    _add_imported(session, consultation.id, questions, definition, language)
    profiles = _profiles(questions)
    return Tally(
        code=consultation.code,
        title=definition.title.get(language),
        kind=definition.kind.value,
        language=language,
        contributions=scans.statuses,
        by_channel=scans.counted_by_channel,
        questions=questions,
        inclusion=inclusion(scans, definition, profiles, language),
        method=method(session, consultation.id, scans, definition, language, default_threshold),
        published=definition.results.published(utcnow()),
    )


def _add_imported(
    session: Session,
    consultation_id: int,
    questions: list[QuestionTally],
    definition: Definition,
    language: str,
) -> None:
    """Imported totals beside the counted answers; the ranking and envelope count both."""
    by_id = {q.question_id: q for q in questions}
    found = False
    for total in repository.imported_totals(session, consultation_id):
        entry = by_id.get(total.question_id)
        if entry is not None and total.option_key in entry.counts:
            entry.imported.setdefault(total.source, {})[total.option_key] = total.count
            found = True
    if not found:
        return
    for entry in questions:
        if entry.imported:
            _finish(entry, definition.question(entry.question_id), language)


def _profiles(questions: list[QuestionTally]) -> dict[str, dict[str, dict[str, int]]]:
    return {q.question_id: q.by_channel for q in questions if q.profile}


def _question_tallies(
    groups: list[repository.AnswerGroup], definition: Definition, language: str
) -> list[QuestionTally]:
    questions = {q.id: _empty(q, definition, language) for q in definition.all_questions}
    for group in groups:
        entry, question = questions.get(group.question_id), definition.question(group.question_id)
        if entry is not None and question is not None:
            _add(entry, question, group)
    for entry in questions.values():
        _finish(entry, definition.question(entry.question_id), language)
    return list(questions.values())


def _empty(question: Question, definition: Definition, language: str) -> QuestionTally:
    entry = QuestionTally(question.id, question.type.value, question.text.get(language))
    entry.profile = question in definition.profile
    entry.counts = {o.key: 0 for o in question.options}
    return entry


def _add(entry: QuestionTally, question: Question, group: repository.AnswerGroup) -> None:
    if group.state == "review":
        entry.awaiting_review += group.count
        _bump(entry.awaiting_by_channel, group.channel, group.count)
        for key in _keys(question, group.value):
            _bump(entry.awaiting_counts, key, group.count)
    elif group.state == "counted":
        entry.answered += group.count
        _bump(entry.answered_by_channel, group.channel, group.count)
        for key in _keys(question, group.value):
            _bump(entry.counts, key, group.count)
            _bump(entry.by_channel.setdefault(group.channel, {}), key, group.count)
        if question.type in (QuestionType.SCALE, QuestionType.NUMBER):
            entry._sum += float(group.value) * group.count
            entry._numbers += group.count


def _bump(counts: dict[str, int], key: str, by: int) -> None:
    counts[key] = counts.get(key, 0) + by


def _keys(question: Question, value: Any) -> list[str]:
    if question.type == QuestionType.TEXT or value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _finish(entry: QuestionTally, question: Question | None, language: str) -> None:
    if entry._numbers:
        entry.mean = round(entry._sum / entry._numbers, 2)
        entry.counts = dict(sorted(entry.counts.items(), key=lambda item: float(item[0])))
    entry.votes = {
        key: count + sum(totals.get(key, 0) for totals in entry.imported.values())
        for key, count in entry.counts.items()
    }
    if question is not None and question.type in CHOICE_TYPES and not entry.profile:
        entry.ranking = ranking(question, entry.votes, language)
        entry.ranking_unsettled = _unsettled(entry.ranking, entry.awaiting_review)
        if question.envelope is not None:
            entry.envelope = envelope(question, entry.ranking)


def envelope(question: Question, ranks: list[Rank]) -> Envelope:
    """Projects by votes, most first: each is funded if its amount fits in what is left."""
    budget = question.envelope or 0
    left, projects = budget, []
    for rank in ranks:
        option = question.option(rank.key)
        amount = option.amount or 0 if option else 0
        funded = rank.count > 0 and amount <= left
        left -= amount if funded else 0
        projects.append(Project(rank.key, rank.label, amount, rank.count, funded))
    for project, rank in zip(projects, ranks, strict=True):
        tied = [p for p in projects if p.key in rank.tied_with]
        project.tie_decided = any(p.funded != project.funded for p in tied)
    return Envelope(budget, budget - left, projects)


def ranking(question: Question, counts: dict[str, int], language: str) -> list[Rank]:
    """Options by count, most first; equal counts share a place and name each other."""
    ordered = sorted(question.options, key=lambda o: -counts.get(o.key, 0))
    ranks: list[Rank] = []
    for position, option in enumerate(ordered, start=1):
        count = counts.get(option.key, 0)
        shared = ranks[-1].rank if ranks and ranks[-1].count == count else position
        ranks.append(Rank(option.key, option.label.get(language), count, shared))
    for entry in ranks:
        entry.tied_with = [r.key for r in ranks if r.rank == entry.rank and r is not entry]
    return ranks


def _unsettled(ranks: list[Rank], awaiting: int) -> bool:
    """Whether the answers awaiting review could close the gap between two places."""
    gaps = [a.count - b.count for a, b in pairwise(ranks) if a.count > b.count]
    return awaiting > 0 and any(gap <= awaiting for gap in gaps)
