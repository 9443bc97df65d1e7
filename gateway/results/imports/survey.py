"""Survey answers from another platform, one row per respondent, through the one door.

Each row becomes an online contribution keyed by the platform's answer id, so that
importing the same file again changes nothing. Rows are read twice, both times
streamed: first to find possible duplicates (the same IP hash and the same answers a
few minutes apart, which a médiateur decides), then to record them. A row that cannot
be read, or that the door refuses, goes to the report; nothing of it is stored.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.consultations.schema import Definition, Question, QuestionType
from gateway.contributions.door import record_intake, record_many
from gateway.contributions.intake import (
    AnswerIn,
    DoorPolicy,
    Intake,
    IntakeConflict,
    IntakeRejected,
    IntakeResult,
    fingerprint,
)
from gateway.errors import PortevoixError
from gateway.results.imports.choices import ChoiceReader, UnknownChoice
from gateway.results.imports.files import Row
from gateway.results.imports.mapping import (
    Mapping,
    fold,
    known_question,
    option_labels,
    question_title,
)
from gateway.results.imports.report import ImportReport
from gateway.results.method import DUPLICATE_MINUTES
from gateway.store.models import AnswerSource, Channel, ContributionStatus

# Two rows from one IP hash with the same answers this close are possibly one person twice.
DUPLICATE_WINDOW = timedelta(minutes=DUPLICATE_MINUTES)
MAX_ID_LENGTH = 64
# Rows recorded together (see `_Recorder`).
CHUNK = 200


@dataclass(frozen=True)
class SurveyFormat:
    """How a platform names its columns and its rows' keys."""

    name: str
    id_columns: tuple[str, ...]
    time_columns: tuple[str, ...]
    ip_columns: tuple[str, ...]
    source: AnswerSource
    key_prefix: str


# Decidim's survey_user_answers export, with its column names in French and English.
DECIDIM = SurveyFormat(
    name="Decidim survey answers",
    id_columns=("ID de réponse", "Answer ID", "ID", "id", "session_token"),
    time_columns=("Répondu le", "Answered on", "Created at", "created_at"),
    ip_columns=("Hachage IP", "IP Hash", "IP hash", "ip_hash"),
    source=AnswerSource.IMPORT_DECIDIM,
    key_prefix="decidim",
)


def generic_format(source: str) -> SurveyFormat:
    return SurveyFormat(
        name="CSV answers",
        id_columns=("id",),
        time_columns=("submitted_at",),
        ip_columns=("ip_hash",),
        source=AnswerSource.IMPORT_CSV,
        key_prefix=f"csv:{source}",
    )


class ImportRefused(PortevoixError):
    """The whole file is refused before any row is read; nothing was stored."""


@dataclass(frozen=True)
class Plan:
    """Which column holds what, decided from the header once."""

    id: str
    time: str | None
    ip: str | None
    questions: dict[str, str]  # column -> question id
    readers: dict[str, ChoiceReader]  # question id -> its labels
    language: str = "fr"  # the respondents', as the column titles tell


@dataclass(frozen=True)
class Parsed:
    line: int
    answer_id: str
    at: datetime | None
    ip: str | None
    answers: list[AnswerIn]

    @property
    def same_answers(self) -> str:
        return json.dumps([[a.question_id, a.value] for a in self.answers], sort_keys=True)


def plan(definition: Definition, mapping: Mapping, header: list[str], form: SurveyFormat) -> Plan:
    """Read the header: the id, time and IP columns, and the question each column answers."""
    id_column = _column(header, mapping.columns.get("id"), form.id_columns)
    if id_column is None:
        raise ImportRefused(
            f"no answer id column: expected one of {', '.join(form.id_columns)}, "
            "or name it in a mapping file (columns: id: …)"
        )
    time = _column(header, mapping.columns.get("submitted_at"), form.time_columns)
    ip = _column(header, mapping.columns.get("ip_hash"), form.ip_columns)
    meta = {id_column, time, ip}
    questions = {
        c: q for c in header if c not in meta and (q := known_question(definition, mapping, c))
    }
    _check_questions(definition, header, questions)
    readers = {
        q: ChoiceReader(option_labels(definition, mapping, q), mapping.choice_separator)
        for q in questions.values()
    }
    return Plan(id_column, time, ip, questions, readers, _language(definition, questions))


def _language(definition: Definition, questions: dict[str, str]) -> str:
    """English when most question columns carry the English text, else French."""
    english = 0
    for column, question_id in questions.items():
        text = definition.question(question_id)
        title = fold(question_title(column))
        english += bool(text and text.text.en and title == fold(text.text.en) != fold(text.text.fr))
    return "en" if english * 2 > len(questions) else "fr"


def _column(header: list[str], named: str | None, usual: tuple[str, ...]) -> str | None:
    if named is not None:
        if named not in header:
            raise ImportRefused(f"the mapping names a column {named!r} the file does not have")
        return named
    folded = {fold(c): c for c in header}
    return next((folded[fold(u)] for u in usual if fold(u) in folded), None)


def _check_questions(definition: Definition, header: list[str], questions: dict[str, str]) -> None:
    if not questions:
        raise ImportRefused(
            f"no column names a question of {definition.code}: is it the right consultation? "
            f"Columns: {', '.join(header)}. A mapping file can name them (questions: …)."
        )
    seen: dict[str, str] = {}
    for column, question_id in questions.items():
        if question_id in seen:
            raise ImportRefused(
                f"columns {seen[question_id]!r} and {column!r} both answer {question_id}"
            )
        seen[question_id] = column
    missing = [q.id for q in definition.all_questions if q.required and q.id not in seen]
    if missing:
        raise ImportRefused(
            f"no column answers the required question(s) {', '.join(missing)} of "
            f"{definition.code}: is it the right consultation? A mapping file can name them."
        )


def parse(row: Row, plan: Plan, definition: Definition, form: SurveyFormat) -> Parsed:
    """A row's answers, or ValueError naming the first cell that cannot be read."""
    answer_id = str(row.cells.get(plan.id) or "")
    if not answer_id or len(answer_id) > MAX_ID_LENGTH:
        raise ValueError(f"answer id {answer_id!r} is empty or over {MAX_ID_LENGTH} characters")
    at = parse_time(row.cells.get(plan.time)) if plan.time else None
    ip = str(row.cells.get(plan.ip) or "") or None if plan.ip else None
    answers = []
    for column, question_id in plan.questions.items():
        question = definition.question(question_id)
        assert question is not None
        cell = row.cells.get(column)
        try:
            value = _value(question, cell, plan.readers[question_id])
        except (UnknownChoice, ValueError) as error:
            raise ValueError(f"column {column!r}: {error}") from None
        raw = cell if isinstance(cell, str) else json.dumps(cell, ensure_ascii=False)
        answers.append(AnswerIn(question_id, value, raw=raw, source=form.source))
    return Parsed(row.line, answer_id, at, ip, answers)


def _value(question: Question, cell: Any, reader: ChoiceReader) -> Any:
    if cell is None or cell == "" or cell == []:
        return None
    if isinstance(cell, dict):
        raise ValueError("a matrix answer cannot be imported")
    if question.options:
        keys = (
            [k for item in cell for k in reader.read(str(item))]
            if isinstance(cell, list)
            else reader.read(str(cell))
        )
        if question.type == QuestionType.MULTIPLE_CHOICE:
            return list(dict.fromkeys(keys))
        if len(keys) != 1:
            raise ValueError(f"{len(keys)} options where one is expected")
        return keys[0]
    text = ", ".join(map(str, cell)) if isinstance(cell, list) else str(cell)
    if question.type in (QuestionType.SCALE, QuestionType.NUMBER):
        return _number(text)
    return text


def _number(text: str) -> int | float:
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    return int(number) if number.is_integer() else number


def parse_time(value: Any) -> datetime:
    """Decidim's times ("2025-03-29 22:41:16 +0100", "… UTC"), or ISO 8601; naive is UTC."""
    text = str(value or "").strip()
    if text.endswith(" UTC"):
        text = text[:-4] + " +0000"
    for shape in ("%Y-%m-%d %H:%M:%S %z", "%d/%m/%Y %H:%M:%S %z"):
        try:
            return datetime.strptime(text, shape)
        except ValueError:
            pass
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"time {text!r} is not like 2025-03-29 22:41:16 +0100") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def import_rows(
    session: Session,
    rows: Callable[[], Iterator[Row]],
    definition: Definition,
    mapping: Mapping,
    form: SurveyFormat,
    policy: DoorPolicy,
    report: ImportReport,
) -> None:
    """Record every readable row through the door; the report says what became of each."""
    first = next(rows(), None)
    if first is None:
        raise ImportRefused("the file holds no answer")
    the_plan = plan(definition, mapping, list(first.cells), form)
    report.ignored_columns = [
        c
        for c in first.cells
        if c not in the_plan.questions and c not in (the_plan.id, the_plan.time, the_plan.ip)
    ]
    earlier = _duplicate_index(_readable(rows(), the_plan, definition, form, None))
    recorder = _Recorder(session, the_plan.language, definition, form, policy, earlier)
    for chunk in _chunks(_readable(rows(), the_plan, definition, form, report)):
        for row, outcome in recorder.record(chunk):
            _note(report, row, outcome, definition)


def _readable(
    rows: Iterable[Row],
    the_plan: Plan,
    definition: Definition,
    form: SurveyFormat,
    report: ImportReport | None,
) -> Iterator[Parsed]:
    for row in rows:
        if report is not None:
            report.read += 1
        try:
            yield parse(row, the_plan, definition, form)
        except ValueError as error:
            if report is not None:
                report.reject(row.line, str(error))


def _chunks(rows: Iterator[Parsed]) -> Iterator[tuple[Parsed, ...]]:
    while chunk := tuple(islice(rows, CHUNK)):
        yield chunk


Index = dict[tuple[str, str], list[tuple[datetime, int, str]]]


def _duplicate_index(rows: Iterable[Parsed]) -> Index:
    index: Index = defaultdict(list)
    for row in rows:
        if row.ip and row.at:
            index[row.ip, row.same_answers].append((row.at, row.line, row.answer_id))
    return index


def _possible_duplicate(row: Parsed, index: Index) -> str | None:
    if not (row.ip and row.at):
        return None
    before = [
        (at, line, answer_id)
        for at, line, answer_id in index.get((row.ip, row.same_answers), [])
        if (at, line) < (row.at, row.line) and row.at - at <= DUPLICATE_WINDOW
    ]
    if not before:
        return None
    at, _line, answer_id = max(before)
    minutes = int((row.at - at).total_seconds() // 60)
    return (
        f"possible duplicate of answer {answer_id}: same IP hash and same answers, "
        f"{minutes} min apart"
    )


# Whatever became of a row at the door: its result, or why the door refused it.
Outcome = IntakeResult | str


@dataclass(frozen=True)
class _Recorder:
    """Records rows through the door a chunk at a time: a few statements for the chunk.

    A chunk the door cannot take whole (a row it refuses, an id given twice or taken
    meanwhile) is recorded again one row per savepoint, so that each row gets what the
    door gives it alone and a refusal never leaves anything of its row behind.
    """

    session: Session
    language: str
    definition: Definition
    form: SurveyFormat
    policy: DoorPolicy
    index: Index

    def record(self, chunk: tuple[Parsed, ...]) -> list[tuple[Parsed, Outcome]]:
        intakes = [self._intake(row) for row in chunk]
        try:
            with self.session.begin_nested():
                results = record_many(self.session, intakes, self.policy)
        except IntegrityError:
            results = None
        if results is not None:
            return list(zip(chunk, results, strict=True))
        return [(row, self._alone(row, intake)) for row, intake in zip(chunk, intakes, strict=True)]

    def _alone(self, row: Parsed, intake: Intake) -> Outcome:
        with self.session.begin_nested() as savepoint:
            try:
                return record_intake(self.session, intake, self.policy)
            except (IntakeRejected, IntakeConflict) as error:
                savepoint.rollback()
                return f"answer {row.answer_id}: {error}"

    def _intake(self, row: Parsed) -> Intake:
        intake = Intake(
            consultation_code=self.definition.code,
            channel=Channel.ONLINE,
            external_id=f"{self.form.key_prefix}:{self.definition.code}:{row.answer_id}",
            answers=row.answers,
            received_at=row.at,
            language=self.language,
            hold_for_review=_possible_duplicate(row, self.index),
        )
        # With a fingerprint, a row sent again with other answers is refused, not replayed.
        return replace(intake, fingerprint=fingerprint(intake))


def _note(report: ImportReport, row: Parsed, outcome: Outcome, definition: Definition) -> None:
    if isinstance(outcome, str):
        report.reject(row.line, outcome)
        return
    if outcome.replayed:
        report.already_imported += 1
        return
    report.imported += 1
    if outcome.status == ContributionStatus.REVIEW:
        report.flagged += 1
    elif outcome.status == ContributionStatus.COUNTED:
        choices = {q.id for q in definition.all_questions if q.options}
        for answer in row.answers:
            if answer.value is not None and answer.question_id in choices:
                report.add(answer.question_id, _keys(answer.value))


def _keys(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
