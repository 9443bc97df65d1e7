"""Pseudonymous exports: never a stored participant key, never a raw identifier.

Free text appears only as moderation decided (`gateway.moderation.publishable`):
masked, as an agent edited it, or not at all; the resident's own words stay in the
store for agents.

A participant appears as a pseudonym: the stored key hashed again with a random salt
drawn for this export and then forgotten. Within one export the same person has one
pseudonym (so one-per-person can be checked); two exports cannot be joined on it, and
nobody holding the store can recompute it.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import secrets
from collections.abc import Callable, Iterator
from importlib.resources import files
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gateway.consultations import repository as consultations
from gateway.consultations.schema import QuestionType
from gateway.contributions import reviewed
from gateway.moderation import Decision, publishable
from gateway.results import repository
from gateway.results.tally import IMPORTED_SOURCES, QuestionTally, Tally
from gateway.store.base import as_utc
from gateway.store.models import Answer, Contribution, Participant

SALT_BYTES = 32
CSV_COLUMNS = [
    "contribution_id",
    "participant",
    "channel",
    "status",
    "submitted_at",
    "assisted",
    "language",
    "question_id",
    "value",
    "source",
    "confidence",
    "answer_status",
    "review",
]


def contribution_schema() -> dict[str, Any]:
    """The open JSON Schema of one exported contribution, served at /schema/contribution.json."""
    text = files("gateway.results").joinpath("contribution.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def pseudonymiser() -> Callable[[str | None], str | None]:
    """A function from stored key to this export's pseudonym, with a salt drawn now."""
    salt = secrets.token_bytes(SALT_BYTES)

    def pseudonym(key_hash: str | None) -> str | None:
        if key_hash is None:
            return None
        return hmac.new(salt, key_hash.encode(), hashlib.sha256).hexdigest()[:32]

    return pseudonym


def contributions(session: Session, code: str) -> Iterator[dict[str, Any]]:
    consultation = consultations.get(session, code)
    definition = consultations.definition_of(consultation)
    free_text = {q.id for q in definition.all_questions if q.type == QuestionType.TEXT}
    decisions = repository.moderation_decisions(session, consultation.id)
    decided = reviewed.per_answer(session, consultation.id)
    pseudonym = pseudonymiser()
    rows = session.execute(
        select(Contribution, Participant.key_hash)
        .outerjoin(Participant, Participant.id == Contribution.participant_id)
        .where(Contribution.consultation_id == consultation.id)
        .options(selectinload(Contribution.answers))
        .order_by(Contribution.id)
    )
    for contribution, key_hash in rows:
        yield {
            "contribution_id": contribution.id,
            "participant": pseudonym(key_hash),
            "channel": contribution.channel,
            "status": contribution.status,
            "submitted_at": as_utc(contribution.submitted_at).isoformat(),
            "assisted": contribution.assisted_by is not None,
            "language": contribution.language,
            "answers": [
                {
                    "question_id": a.question_id,
                    "value": _published(a, free_text, decisions),
                    "source": a.source,
                    "confidence": a.confidence,
                    "status": a.status,
                    "review": decided.get(a.id),
                }
                for a in contribution.answers
            ],
        }


def _published(answer: Answer, free_text: set[str], decisions: dict[int, Decision]) -> Any:
    if answer.question_id not in free_text or not isinstance(answer.value, str):
        return answer.value
    return publishable(answer.value, decisions.get(answer.id))


def to_json(session: Session, code: str) -> str:
    return json.dumps(
        {"consultation": code.upper(), "contributions": list(contributions(session, code))},
        ensure_ascii=False,
        indent=2,
    )


def to_csv(session: Session, code: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for contribution in contributions(session, code):
        head = {k: v for k, v in contribution.items() if k != "answers"}
        for answer in contribution["answers"]:
            value = answer["value"]
            writer.writerow(
                {
                    **head,
                    "participant": head["participant"] or "",
                    "question_id": answer["question_id"],
                    "value": safe_cell("|".join(value) if isinstance(value, list) else value),
                    "source": answer["source"],
                    "confidence": answer["confidence"],
                    "answer_status": answer["status"],
                    "review": answer["review"] or "",
                }
            )
    return out.getvalue()


TALLY_COLUMNS = [
    "question_id",
    "option",
    "label",
    "channel",
    "counted",
    "awaiting_review",
    "imported_total",
    "votes",
    "amount",
    "funded",
    "reviewed",
    "corrected",
    "rejected_in_review",
]


def tally_to_json(result: Tally) -> str:
    return json.dumps(result.as_dict(), ensure_ascii=False, indent=2)


def tally_to_csv(result: Tally) -> str:
    """One row per question, option and channel, imported totals apart, then the option's total.

    The total row ("all") carries the counted answers, those awaiting review, the votes
    with imported totals, and for a budget the project's amount and whether it is funded.
    Last, for the method, one row per channel without a question: its answers a person
    decided in review, of which corrected and rejected.
    """
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=TALLY_COLUMNS)
    writer.writeheader()
    for question in result.questions:
        for row in _tally_rows(question):
            writer.writerow(row)
    for reading in result.method.channels:
        writer.writerow({"channel": reading.channel, "reviewed": reading.reviewed,
                         "corrected": reading.corrected,
                         "rejected_in_review": reading.rejected_in_review})  # fmt: skip
    return out.getvalue()


def _tally_rows(question: QuestionTally) -> Iterator[dict[str, Any]]:
    labels = {r.key: r.label for r in question.ranking}
    funded = {p.key: p for p in question.envelope.projects} if question.envelope else {}
    for key, count in question.counts.items():
        row = {"question_id": question.question_id, "option": key}
        row["label"] = safe_cell(labels.get(key, key))
        for channel, counts in sorted(question.by_channel.items()):
            yield {**row, "channel": channel, "counted": counts.get(key, 0)}
        for source, totals in question.imported.items():
            name = IMPORTED_SOURCES.get(source, source)
            yield {**row, "channel": name, "imported_total": totals.get(key, 0)}
        project = funded.get(key)
        yield {
            **row,
            "channel": "all",
            "counted": count,
            "awaiting_review": question.awaiting_counts.get(key, 0),
            "votes": question.votes.get(key, count),
            "amount": project.amount if project else "",
            "funded": ("yes" if project.funded else "no") if project else "",
        }


# A cell starting with one of these is run as a formula by spreadsheet programs; the
# full-width forms too, since some spreadsheets fold them to their ASCII twins.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def safe_cell(value: Any) -> Any:
    """Neutralise free text that a spreadsheet would run as a formula or cut at a NUL."""
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_STARTS) or "\x00" in value:
        return "'" + value.replace("\x00", "\ufffd")
    return value
