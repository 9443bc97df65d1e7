"""Pseudonymous exports: no participant key, no raw identifier, ever."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gateway.consultations import repository as consultations
from gateway.store.base import as_utc
from gateway.store.models import Contribution

CSV_COLUMNS = [
    "contribution_id",
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
]


def contributions(session: Session, code: str) -> Iterator[dict[str, Any]]:
    consultation = consultations.get(session, code)
    rows = session.scalars(
        select(Contribution)
        .where(Contribution.consultation_id == consultation.id)
        .options(selectinload(Contribution.answers))
        .order_by(Contribution.id)
    )
    for contribution in rows:
        yield {
            "contribution_id": contribution.id,
            "channel": contribution.channel,
            "status": contribution.status,
            "submitted_at": as_utc(contribution.submitted_at).isoformat(),
            "assisted": contribution.assisted_by is not None,
            "language": contribution.language,
            "answers": [
                {
                    "question_id": a.question_id,
                    "value": a.value,
                    "source": a.source,
                    "confidence": a.confidence,
                    "status": a.status,
                }
                for a in contribution.answers
            ],
        }


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
                    "question_id": answer["question_id"],
                    "value": _cell("|".join(value) if isinstance(value, list) else value),
                    "source": answer["source"],
                    "confidence": answer["confidence"],
                    "answer_status": answer["status"],
                }
            )
    return out.getvalue()


# A cell starting with one of these is run as a formula by spreadsheet programs; the
# full-width forms too, since some spreadsheets fold them to their ASCII twins.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def _cell(value: Any) -> Any:
    """Neutralise free text that a spreadsheet would run as a formula or cut at a NUL."""
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_STARTS) or "\x00" in value:
        return "'" + value.replace("\x00", "\ufffd")
    return value
