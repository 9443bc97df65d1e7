"""One import run: which file it is, into which consultation, and what became of each row.

`portevoix import decidim` recognises the three files a Decidim admin gets (survey
answers, budget projects, paper-ballot totals) from their columns; `portevoix import
csv` reads answers from any platform with a mapping file. The caller owns the
transaction: it commits a run, or rolls a dry run back, so a dry run stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from gateway.consultations import repository as consultations
from gateway.contributions.intake import DoorPolicy
from gateway.results.imports import survey, totals
from gateway.results.imports.files import Row, csv_rows, is_json, json_rows
from gateway.results.imports.mapping import Mapping, load_mapping, suggest
from gateway.results.imports.report import ImportReport
from gateway.results.imports.survey import DECIDIM, ImportRefused, SurveyFormat
from gateway.store.base import utcnow

# Distinct labels listed per column in a suggested mapping.
SUGGESTED_LABELS = 200


@dataclass(frozen=True)
class Source:
    """The file to import and how to read it."""

    path: Path
    platform: str = "decidim"  # or "csv"
    separator: str | None = None  # default: ";" for Decidim, "," for a generic CSV
    encoding: str = "utf-8"
    mapping: Path | None = None

    def rows(self, expected: set[str]) -> Callable[[], Iterator[Row]]:
        if is_json(self.path):
            return lambda: json_rows(self.path, self.encoding)
        separator = self.separator or (";" if self.platform == "decidim" else ",")
        return lambda: csv_rows(self.path, separator, self.encoding, expected)


def import_file(
    session: Session, source: Source, code: str, policy: DoorPolicy, dry_run: bool = False
) -> ImportReport:
    """Import the file into the consultation; ImportRefused when nothing can be."""
    consultation = consultations.get(session, code)
    definition = consultations.definition_of(consultation)
    if definition.results.published(utcnow()):
        raise ImportRefused(
            f"the results of {definition.code} are published: an import would change them"
        )
    mapping = load_mapping(source.mapping, definition)
    rows = source.rows(_expected(mapping))
    header = list(next(rows(), Row(0, {})).cells)
    report = ImportReport(str(source.path.name), _kind(source, header), definition.code, dry_run)
    if totals.is_projects(header):
        totals.import_projects(session, consultation.id, rows(), definition, mapping, report)
    elif (column := totals.paper_column(header)) is not None:
        totals.import_paper_ballots(
            session, consultation.id, rows(), column, definition, mapping, report
        )
    else:
        form = _form(source, mapping)
        survey.import_rows(session, rows, definition, mapping, form, policy, report)
    return report


def _expected(mapping: Mapping) -> set[str]:
    """Column names that show the file was read with the right separator."""
    names = {*DECIDIM.id_columns, *DECIDIM.time_columns, *totals.PROJECT_COLUMNS}
    return names | set(totals.PAPER_COLUMNS) | set(mapping.columns.values())


def _kind(source: Source, header: list[str]) -> str:
    if totals.is_projects(header):
        return "Decidim budget projects (imported totals)"
    if totals.paper_column(header):
        return "paper-ballot totals (imported totals)"
    return DECIDIM.name if source.platform == "decidim" else "CSV answers"


def _form(source: Source, mapping: Mapping) -> SurveyFormat:
    if source.platform == "decidim":
        return DECIDIM
    if mapping.source is None:
        raise ImportRefused(
            "a generic CSV import needs a mapping file naming the platform (source: …) "
            "and its id column (columns: id: …)"
        )
    return survey.generic_format(mapping.source)


def suggest_mapping(session: Session, source: Source, code: str) -> str:
    """A first mapping for the file: its columns and labels matched to the definition's."""
    definition = consultations.definition_of(consultations.get(session, code))
    rows = source.rows(_expected(Mapping()))()
    first = next(rows, None)
    if first is None:
        raise ImportRefused("the file holds no answer")
    columns = [c for c in first.cells if not _meta(c)]
    labels: dict[str, set[str]] = {c: set() for c in columns}
    for row in (first, *rows):
        _collect(row, columns, labels)
    return suggest(definition, columns, labels)


def _meta(column: str) -> bool:
    meta = {*DECIDIM.id_columns, *DECIDIM.time_columns, *DECIDIM.ip_columns}
    return column in meta or column in ("Statut de l'utilisateur", "User status")


def _collect(row: Row, columns: list[str], labels: dict[str, set[str]]) -> None:
    for column in columns:
        cell = row.cells.get(column)
        found = labels[column]
        for item in cell if isinstance(cell, list) else [cell]:
            if isinstance(item, str) and item and len(found) < SUGGESTED_LABELS:
                found.add(item)
