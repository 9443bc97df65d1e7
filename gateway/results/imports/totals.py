"""Vote totals another platform counted: Decidim's budget projects, paper-ballot totals.

`confirmed_votes` in the projects export, and the `paper_ballots_to_import` of the
budgets paper-ballots module, count votes, not people: they are stored as imported
totals beside the contributions, shown apart in the results, never turned into
contributions and never added to a number of participants. A totals file is taken
whole or not at all: with one project unknown, the others would rank wrongly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gateway import audit
from gateway.consultations.schema import Definition, Question
from gateway.results import repository
from gateway.results.imports.files import Row
from gateway.results.imports.mapping import Mapping, budget_question, fold, option_labels
from gateway.results.imports.report import ImportReport, TotalChange
from gateway.store.models import Channel

PROJECTS = "decidim:projects"
PAPER_BALLOTS = "decidim:paper_ballots"
# The columns that tell each totals file apart from survey answers.
PROJECT_COLUMNS = {"id", "confirmed_votes"}
PAPER_COLUMNS = ("paper_ballots_to_import", "new_paper_ballots", "votes")


@dataclass(frozen=True)
class Total:
    line: int
    origin_id: str
    option_key: str
    count: int


def is_projects(header: Iterable[str]) -> bool:
    return set(header) >= PROJECT_COLUMNS


def paper_column(header: Iterable[str]) -> str | None:
    names = set(header)
    return next((c for c in PAPER_COLUMNS if "id" in names and c in names), None)


def import_projects(
    session: Session,
    consultation_id: int,
    rows: Iterable[Row],
    definition: Definition,
    mapping: Mapping,
    report: ImportReport,
) -> None:
    question = _question(definition, mapping)
    labels = option_labels(definition, mapping, question.id)
    totals = []
    for row in rows:
        report.read += 1
        total = _project(row, question, labels, mapping, report)
        if total is not None:
            totals.append(total)
    _store(session, consultation_id, question.id, PROJECTS, Channel.ONLINE, totals, report)


def _project(
    row: Row, question: Question, labels: dict[str, str], mapping: Mapping, report: ImportReport
) -> Total | None:
    origin = str(row.cells.get("id") or "")
    key = mapping.projects.get(origin) or next(
        (labels[fold(t)] for t in _titles(row) if fold(t) in labels), None
    )
    if key is None:
        titles = " / ".join(_titles(row)) or "no title"
        report.reject(row.line, f"project {origin} ({titles}) matches no option of {question.id}")
        return None
    count = _count(row, "confirmed_votes", report)
    amount = _count(row, "budget_amount", None)
    option = question.option(key)
    if option is not None and None not in (amount, option.amount) and amount != option.amount:
        report.notes.append(
            f"project {origin}: budget_amount {amount} but the definition says {option.amount}"
        )
    return None if count is None else Total(row.line, origin, key, count)


def _titles(row: Row) -> list[str]:
    """The project's title in every language: a dict in JSON, title/fr… columns in CSV."""
    title = row.cells.get("title")
    if isinstance(title, dict):
        return [str(t) for t in title.values() if t]
    if isinstance(title, str) and title:
        return [title]
    return [str(v) for k, v in row.cells.items() if k.startswith("title/") and v]


def _count(row: Row, column: str, report: ImportReport | None) -> int | None:
    value = row.cells.get(column)
    try:
        count = int(str(value))
    except ValueError:
        count = -1
    if count < 0:
        if report is not None:
            report.reject(row.line, f"{column} {value!r} is not a whole number of votes")
        return None
    return count


def import_paper_ballots(
    session: Session,
    consultation_id: int,
    rows: Iterable[Row],
    column: str,
    definition: Definition,
    mapping: Mapping,
    report: ImportReport,
) -> None:
    question = _question(definition, mapping)
    known = {
        t.origin_id: t.option_key
        for t in repository.imported_totals(session, consultation_id)
        if t.source == PROJECTS and t.origin_id
    }
    totals = []
    for row in rows:
        report.read += 1
        origin = str(row.cells.get("id") or "")
        key = mapping.projects.get(origin) or known.get(origin)
        count = _count(row, column, report)
        if key is None:
            report.reject(
                row.line,
                f"project id {origin!r} is unknown: import the projects export first, "
                "or map it in a mapping file (projects: …)",
            )
        elif count is not None:
            totals.append(Total(row.line, origin, key, count))
    _store(session, consultation_id, question.id, PAPER_BALLOTS, Channel.PAPER, totals, report)


def _question(definition: Definition, mapping: Mapping) -> Question:
    question = definition.question(budget_question(definition, mapping))
    assert question is not None
    return question


def _store(
    session: Session,
    consultation_id: int,
    question_id: str,
    source: str,
    channel: Channel,
    totals: list[Total],
    report: ImportReport,
) -> None:
    if report.rejected:
        report.notes.append("a totals file is imported whole: nothing was stored")
        return
    _refuse_repeats(totals, report)
    if report.rejected:
        return
    for total in totals:
        before = repository.set_imported_total(
            session,
            consultation_id,
            source=source,
            channel=channel.value,
            question_id=question_id,
            option_key=total.option_key,
            origin_id=total.origin_id,
            count=total.count,
        )
        report.totals.append(TotalChange(question_id, total.option_key, before, total.count))
        report.imported += before != total.count
        report.already_imported += before == total.count
    _journal(session, consultation_id, source, report)


def _refuse_repeats(totals: list[Total], report: ImportReport) -> None:
    seen: dict[str, Total] = {}
    for total in totals:
        if total.option_key in seen:
            first = seen[total.option_key].line
            report.reject(total.line, f"option {total.option_key} has a total on line {first}")
        seen[total.option_key] = total
    if report.rejected:
        report.notes.append("a totals file is imported whole: nothing was stored")


def _journal(session: Session, consultation_id: int, source: str, report: ImportReport) -> None:
    changed = [c for c in report.totals if c.before != c.after]
    if not changed:
        return
    audit.append(
        session,
        "totals.imported",
        "consultation",
        consultation_id,
        {
            "source": source,
            "file": report.file,
            "totals": [[c.question_id, c.option_key, c.before, c.after] for c in changed],
        },
        actor="import",
    )
