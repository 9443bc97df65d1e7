"""The Decidim open-data shape: what a Decidim admin's exports look like, from this store.

- survey answers: one row per counted contribution, as Decidim's `survey_user_answers`
  export (answer id, time, IP hash, user status, then "N. question" columns named in
  the chosen language, several choices joined by ", " in CSV and listed in JSON), with
  the channel added last, so any tool that reads Decidim's files reads these, and
  `portevoix import decidim` reads them back;
- budget projects: Decidim's projects export (id, title per language, budget_amount,
  confirmed_votes), the votes being the counted ones, every channel together.

Pseudonymous like every export: the answer id is the contribution's number hashed
with a salt drawn for this export; there is no IP hash.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from gateway.consultations import repository as consultations
from gateway.consultations.schema import Definition, Question
from gateway.results.export import contributions, pseudonymiser, safe_cell
from gateway.results.tally import Tally

# Decidim's own column names (decidim-forms user_answers_serializer), per language.
META_COLUMNS = {
    "fr": ("ID de réponse", "Répondu le", "Hachage IP", "Statut de l'utilisateur", "Canal"),
    "en": ("Answer ID", "Answered on", "IP Hash", "User status", "Channel"),
}
UNREGISTERED = {"fr": "Non enregistré", "en": "Unregistered"}


def question_column(position: int, question: Question, language: str) -> str:
    return f"{position}. {question.text.get(language)}"


def survey_rows(session: Session, code: str, language: str) -> Iterator[dict[str, Any]]:
    """Counted contributions as Decidim survey answers; choices as lists of labels."""
    definition = consultations.definition_of(consultations.get(session, code))
    pseudonym = pseudonymiser()
    names = META_COLUMNS.get(language, META_COLUMNS["fr"])
    for contribution in contributions(session, code):
        if contribution["status"] != "counted":
            continue
        answers = {a["question_id"]: a["value"] for a in contribution["answers"]}
        row: dict[str, Any] = {
            names[0]: pseudonym(str(contribution["contribution_id"])),
            names[1]: _decidim_time(contribution["submitted_at"]),
            names[2]: "",
            names[3]: UNREGISTERED.get(language, UNREGISTERED["fr"]),
        }
        for position, question in enumerate(definition.all_questions, start=1):
            value = answers.get(question.id)
            row[question_column(position, question, language)] = _shown(question, value, language)
        row[names[4]] = contribution["channel"]
        yield row


def _decidim_time(iso: str) -> str:
    """ISO 8601 in UTC as Ruby's Time#to_s writes it: 2026-12-02 10:15:00 UTC."""
    return iso[:19].replace("T", " ") + " UTC"


def _shown(question: Question, value: Any, language: str) -> Any:
    if value is None:
        return [] if question.options else ""
    if question.options:
        keys = value if isinstance(value, list) else [value]
        return [_label(question, str(k), language) for k in keys]
    return str(value)


def _label(question: Question, key: str, language: str) -> str:
    option = question.option(key)
    return option.label.get(language) if option else key


def survey_to_csv(session: Session, code: str, language: str, separator: str = ";") -> str:
    out = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for row in survey_rows(session, code, language):
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(row), delimiter=separator)
            writer.writeheader()
        writer.writerow(
            {k: safe_cell(", ".join(v) if isinstance(v, list) else v) for k, v in row.items()}
        )
    return out.getvalue()


def survey_to_json(session: Session, code: str, language: str) -> str:
    return json.dumps(list(survey_rows(session, code, language)), ensure_ascii=False, indent=2)


def project_rows(result: Tally, definition: Definition) -> Iterator[dict[str, Any]]:
    """Each option of a budget question as a Decidim project with its counted votes."""
    for question in result.questions:
        asked = definition.question(question.question_id)
        if asked is None or asked.envelope is None:
            continue
        for number, option in enumerate(asked.options, start=1):
            yield {
                "id": number,
                "option": option.key,
                "title": {"fr": option.label.fr, "en": option.label.en or option.label.fr},
                "budget_amount": option.amount,
                "confirmed_votes": question.counts.get(option.key, 0),
            }


def projects_to_csv(result: Tally, definition: Definition, separator: str = ";") -> str:
    out = io.StringIO()
    columns = ["id", "option", "title/fr", "title/en", "budget_amount", "confirmed_votes"]
    writer = csv.DictWriter(out, fieldnames=columns, delimiter=separator)
    writer.writeheader()
    for row in project_rows(result, definition):
        title = row.pop("title")
        writer.writerow(
            {**row, "title/fr": safe_cell(title["fr"]), "title/en": safe_cell(title["en"])}
        )
    return out.getvalue()


def projects_to_json(result: Tally, definition: Definition) -> str:
    return json.dumps(list(project_rows(result, definition)), ensure_ascii=False, indent=2)
