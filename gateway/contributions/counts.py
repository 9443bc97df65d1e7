"""The counts the results read, kept in step with contributions by the contributions core.

`contribution_count` and `answer_count` hold what a GROUP BY over every contribution
and answer of a consultation would return, so that the tallies read a few hundred rows
instead of scanning a million contributions. They stay exact because every write that
changes what a contribution counts for (the door, each decision) moves that
contribution's counts in its own transaction: `add` puts in the rows of the
contribution as the store holds it, and `recounting` takes them out before a change and
puts them back after it, read from the store both times. `recount` computes the same
rows from scratch: `rebuild` writes them, the tests compare them.

Count rows of different transactions are updated under the audit journal's lock (each
of those transactions takes it to journal anyway), so two transactions never update the
same rows in opposite orders and deadlock.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Text,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session

from gateway import audit
from gateway.consultations import repository as consultations
from gateway.consultations.schema import Definition, QuestionType
from gateway.contributions import repository as contributions
from gateway.store.base import as_utc
from gateway.store.models import Answer, AnswerCount, Contribution, ContributionCount
from gateway.store.session import add_to_counts, core_connection, is_postgresql, rows_of_json

HOUR = "%Y-%m-%dT%H"
# The value of an answer to a free-text question: counted, never grouped by its text.
UNGROUPED = ""
CONTRIBUTION_KEY = ("consultation_id", "channel", "status", "hour")
ANSWER_KEY = (
    "consultation_id",
    "channel",
    "question_id",
    "value",
    "source",
    "answer_status",
    "contribution_status",
)


@dataclass(frozen=True)
class Counts:
    """A consultation's count rows, as dictionaries of the two tables' columns."""

    contributions: list[dict[str, Any]]
    answers: list[dict[str, Any]]


def free_text(definition: Definition) -> frozenset[str]:
    return frozenset(q.id for q in definition.all_questions if q.type == QuestionType.TEXT)


def add(session: Session, contribution_id: int, ungrouped: Collection[str], sign: int = 1) -> None:
    """Count a contribution as the store holds it now; `sign=-1` takes it out again."""
    connection = core_connection(session)
    audit.hold_journal(session)
    found = connection.execute(_CONTRIBUTION, {"id": contribution_id}).one()
    consultation_id, channel, status, submitted_at = found
    hour = _hour(submitted_at)
    add_to_counts(
        session, ContributionCount, CONTRIBUTION_KEY,
        [{"consultation_id": consultation_id, "channel": channel, "status": status,
          "hour": hour, "count": sign}],
    )  # fmt: skip
    answers = [
        {"consultation_id": consultation_id, "channel": channel, "question_id": question_id,
         "value": UNGROUPED if question_id in ungrouped else value, "source": source,
         "answer_status": answer_status, "contribution_status": status, "count": sign}
        for question_id, value, source, answer_status in connection.execute(
            _ANSWERS, {"id": contribution_id}
        )
    ]  # fmt: skip
    add_to_counts(session, AnswerCount, ANSWER_KEY, answers)


def add_recorded(
    session: Session,
    contribution: Contribution,
    answers: list[dict[str, Any]],
    ungrouped: Collection[str],
) -> audit.Along | None:
    """Count a contribution the door has just written, from the rows written, nothing
    read back: a value's text is what the store will cast it back to (both drivers
    write JSON with `json.dumps`; the tests compare these counts with a recount by the
    store).

    On SQLite, two statements now. On PostgreSQL, none: the counts are returned, for
    the statement that journals the contribution to write (`audit.Along`), under the
    journal's lock.
    """
    status = str(contribution.status)
    keys = [_answer_key(answer, ungrouped) for answer in answers]
    if is_postgresql(session):
        return audit.Along(
            _RECORDED,
            {"consultation_id": contribution.consultation_id, "channel": contribution.channel,
             "status": status, "hour": _hour(contribution.submitted_at),
             "answer_keys": keys},
        )  # fmt: skip
    add_to_counts(
        session, ContributionCount, CONTRIBUTION_KEY,
        [{"consultation_id": contribution.consultation_id, "channel": contribution.channel,
          "status": status, "hour": _hour(contribution.submitted_at), "count": 1}],
    )  # fmt: skip
    rows = [
        {"consultation_id": contribution.consultation_id, "channel": contribution.channel,
         **key, "contribution_status": status, "count": 1}
        for key in keys
    ]  # fmt: skip
    add_to_counts(session, AnswerCount, ANSWER_KEY, rows)
    return None


def _answer_key(answer: dict[str, Any], ungrouped: Collection[str]) -> dict[str, Any]:
    """What an answer row just written counts under, besides its contribution's."""
    question = answer["question_id"]
    return {
        "question_id": question,
        "value": UNGROUPED if question in ungrouped else json.dumps(answer["value"]),
        "source": answer["source"],
        "answer_status": answer["status"],
    }


def _recorded_statement() -> tuple[CTE, ...]:
    """PostgreSQL: both counts of one new contribution, as CTEs of another statement.

    The answers come as one JSON list of their keys: one contribution never has
    two answers with the same key (one per question), which one INSERT … ON CONFLICT DO
    UPDATE could not take.
    """
    answer_table, contribution_table = AnswerCount.__table__, ContributionCount.__table__
    typed = {name: bindparam(name, type_=contribution_table.c[name].type) for name in
             ("consultation_id", "channel", "status", "hour")}  # fmt: skip
    one = literal(1, Integer())
    counted = postgresql_insert(ContributionCount).values(**typed, count=one)
    counted = counted.on_conflict_do_update(
        index_elements=list(CONTRIBUTION_KEY),
        set_={"count": ContributionCount.count + counted.excluded.count},
    )
    rows = rows_of_json("answer_keys", {n: answer_table.c[n].type for n in _BY_ANSWER})
    answers = postgresql_insert(AnswerCount).from_select(
        ["consultation_id", "channel", "contribution_status", "count", *_BY_ANSWER],
        select(typed["consultation_id"], typed["channel"], typed["status"], one, *rows.c),
    )
    upsert = answers.on_conflict_do_update(
        index_elements=list(ANSWER_KEY), set_={"count": AnswerCount.count + answers.excluded.count}
    )
    return counted.cte("counted"), upsert.cte("answers_counted")


_BY_ANSWER = ("question_id", "value", "source", "answer_status")
# Built once: constructing the statement costs more than running it.
_RECORDED = _recorded_statement()


def add_many(session: Session, contribution_ids: list[int], ungrouped: Collection[str]) -> None:
    """Count contributions just recorded, as the store holds them, in a few statements."""
    audit.hold_journal(session)
    connection = core_connection(session)
    ids = {"ids": contribution_ids}
    by_hour = _grouped(
        (consultation_id, channel, status, _hour(at))
        for consultation_id, channel, status, at in connection.execute(_CONTRIBUTIONS, ids)
    )
    add_to_counts(session, ContributionCount, CONTRIBUTION_KEY, _counted(CONTRIBUTION_KEY, by_hour))
    by_value = _grouped(
        (consultation_id, channel, question, UNGROUPED if question in ungrouped else value,
         source, answer_status, status)
        for consultation_id, channel, status, question, value, source, answer_status
        in connection.execute(_MANY_ANSWERS, ids)
    )  # fmt: skip
    add_to_counts(session, AnswerCount, ANSWER_KEY, _counted(ANSWER_KEY, by_value))


def _grouped(keys: Iterable[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    grouped: dict[tuple[Any, ...], int] = {}
    for key in keys:
        grouped[key] = grouped.get(key, 0) + 1
    return grouped


def _counted(names: tuple[str, ...], grouped: dict[tuple[Any, ...], int]) -> list[dict[str, Any]]:
    return [{**dict(zip(names, key, strict=True)), "count": n} for key, n in grouped.items()]


@contextmanager
def recounting(session: Session, contribution: Contribution) -> Iterator[None]:
    """Move a contribution's counts across the change made to it inside the block."""
    consultation = contributions.consultation_of(session, contribution)
    ungrouped = free_text(consultations.definition_of(consultation))
    add(session, contribution.id, ungrouped, -1)
    yield
    add(session, contribution.id, ungrouped)


# Built once: constructing a statement costs more than running it.
_CONTRIBUTION = select(
    Contribution.consultation_id, Contribution.channel, Contribution.status,
    Contribution.submitted_at,
).where(Contribution.id == bindparam("id"))  # fmt: skip
_ANSWERS = select(Answer.question_id, cast(Answer.value, Text), Answer.source, Answer.status).where(
    Answer.contribution_id == bindparam("id")
)
_CONTRIBUTIONS = select(
    Contribution.consultation_id, Contribution.channel, Contribution.status,
    Contribution.submitted_at,
).where(Contribution.id.in_(bindparam("ids", expanding=True)))  # fmt: skip
_MANY_ANSWERS = (
    select(Contribution.consultation_id, Contribution.channel, Contribution.status,
           Answer.question_id, cast(Answer.value, Text), Answer.source, Answer.status)
    .join(Answer, Answer.contribution_id == Contribution.id)
    .where(Contribution.id.in_(bindparam("ids", expanding=True)))
)  # fmt: skip


def read(session: Session, consultation_id: int) -> Counts:
    """The consultation's count rows that count something."""
    return Counts(
        _rows(session, ContributionCount, CONTRIBUTION_KEY, consultation_id),
        _rows(session, AnswerCount, ANSWER_KEY, consultation_id),
    )


def _rows(
    session: Session, model: Any, key: tuple[str, ...], consultation_id: int
) -> list[dict[str, Any]]:
    columns = [getattr(model, name) for name in (*key, "count")]
    rows = session.execute(
        select(*columns).where(model.consultation_id == consultation_id, model.count != 0)
    )
    return [dict(row._mapping) for row in rows]


def recount(session: Session, consultation_id: int, ungrouped: Collection[str]) -> Counts:
    """The count rows computed from every contribution and answer (a full scan)."""
    hour = _utc_hour(session)
    by_hour = session.execute(
        select(Contribution.channel, Contribution.status, hour, func.count())
        .where(Contribution.consultation_id == consultation_id)
        .group_by(Contribution.channel, Contribution.status, hour)
    )
    contribution_rows = [
        {"consultation_id": consultation_id, "channel": channel, "status": status,
         "hour": _hour_text(at), "count": count}
        for channel, status, at, count in by_hour
    ]  # fmt: skip
    return Counts(contribution_rows, _answer_recount(session, consultation_id, ungrouped))


def _answer_recount(
    session: Session, consultation_id: int, ungrouped: Collection[str]
) -> list[dict[str, Any]]:
    value = case(
        (Answer.question_id.in_(list(ungrouped)), literal(UNGROUPED)),
        else_=cast(Answer.value, Text),
    )
    columns = (Contribution.channel, Answer.question_id, value, Answer.source, Answer.status,
               Contribution.status)  # fmt: skip
    rows = session.execute(
        select(*columns, func.count())
        .join(Answer, Answer.contribution_id == Contribution.id)
        .where(Contribution.consultation_id == consultation_id)
        .group_by(*columns)
    )
    return [
        {"consultation_id": consultation_id, **dict(zip(ANSWER_KEY[1:], row[:-1], strict=True)),
         "count": row[-1]}
        for row in rows
    ]  # fmt: skip


def rebuild(session: Session, consultation_id: int, ungrouped: Collection[str]) -> None:
    """Recount a consultation's rows from scratch (after a bulk load that bypassed the door)."""
    counts = recount(session, consultation_id, ungrouped)
    audit.hold_journal(session)
    for model in (ContributionCount, AnswerCount):
        session.execute(delete(model).where(model.consultation_id == consultation_id))
    add_to_counts(session, ContributionCount, CONTRIBUTION_KEY, counts.contributions)
    add_to_counts(session, AnswerCount, ANSWER_KEY, counts.answers)


def regroup(
    session: Session, consultation_id: int, before: Definition | None, after: Definition
) -> bool:
    """Recount after a new version that made a question free text, or no longer free text.

    Free text is counted without its wording, choices by value: the stored answers
    must be grouped again. Whether it recounted."""
    ungrouped = free_text(after)
    if before is None or free_text(before) == ungrouped:
        return False
    rebuild(session, consultation_id, ungrouped)
    return True


def _utc_hour(session: Session) -> ColumnElement[Any]:
    # An hour bucket, not a day: the commune's day is local time, and French offsets
    # are whole hours, so UTC hours fold exactly into local days.
    column = Contribution.submitted_at
    if is_postgresql(session):
        return func.date_trunc("hour", func.timezone("UTC", column))
    return func.strftime(HOUR, column)


def _hour(at: datetime) -> str:
    return as_utc(at).astimezone(UTC).strftime(HOUR)


def _hour_text(hour: datetime | str) -> str:
    """An hour bucket as PostgreSQL (a UTC timestamp) or SQLite (text) returns it, as text."""
    return hour if isinstance(hour, str) else hour.strftime(HOUR)
