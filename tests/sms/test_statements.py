"""SQL statements per inbound message: each is a round trip, and under load they add up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS
from sqlalchemy import event
from sqlalchemy.dialects import postgresql

from gateway.runtime import Runtime
from gateway.sms import repository as sms
from tests.sms.twilio import Phone

# (text, statements on each database) through one whole vote, from a new number.
# - The statement that logs a message also reads the consultation its text may name,
#   and whether the sender took part in it.
# - On SQLite the statement that logs a message also reads the number's conversation
#   (a new number's is written with the reply); on PostgreSQL it opens it (creates or
#   locks it), and the statement that keeps the replies writes it back.
# - The last answer goes through the door: 9 statements on SQLite, two of them the
#   results' running counts. PostgreSQL writes in one statement each: the contribution
#   with its participant, answers, participation and the transcript's evidence row and
#   link, taking the journal's advisory lock along; the journal's event with both
#   running counts.
VOTE = [
    ("BUDGET", {"sqlite": 3, "postgresql": 2}),
    ("1 4 7", {"sqlite": 3, "postgresql": 2}),
    ("3", {"sqlite": 12, "postgresql": 4}),
]


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """The SQL sent while the block runs (BEGIN excluded: only SQLite sends one).

    On PostgreSQL each must stay short enough, with few enough parameters, for psycopg
    to keep its parsed form: a longer one is parsed anew on every execution.
    """
    sent: list[str] = []
    cached = runtime.engine.dialect.name == "postgresql"

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.startswith("BEGIN"):
            return
        sent.append(statement)
        if cached:
            assert len(statement.encode()) <= MAX_CACHED_STATEMENT_LENGTH, statement
            assert len(parameters) <= MAX_CACHED_STATEMENT_PARAMS, statement

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)


def test_a_vote_costs_few_statements(client: TestClient, sms_runtime: Runtime) -> None:
    # Another resident votes first: this process has parsed the definition already.
    for body, _ in VOTE:
        Phone(client, number="+33698765432").text(body)
    phone = Phone(client)
    dialect = sms_runtime.engine.dialect.name
    for body, count in VOTE:
        with statements(sms_runtime) as sent:
            replies = phone.text(body)
        assert replies
        budget = count[dialect]
        # Exactly: fewer is progress to write down here, more is a regression.
        assert len(sent) == budget, f"{body!r}: {len(sent)} statements\n" + "\n".join(sent)


def test_a_word_that_could_be_a_code_costs_no_lookup(
    client: TestClient, sms_runtime: Runtime
) -> None:
    # "jardin" names a project, and has the shape of a consultation code: whether it is
    # one was read along with the message's log row.
    phone = Phone(client)
    phone.text("BUDGET")
    dialect = sms_runtime.engine.dialect.name
    with statements(sms_runtime) as sent:
        replies = phone.text("jardin")
    assert replies[0].startswith("2/2")
    assert len(sent) == VOTE[1][1][dialect], "\n".join(sent)


def test_the_busiest_statements_stay_short_enough_to_be_cached() -> None:
    # psycopg parses a longer statement, or one with more parameters, anew on every
    # execution.
    dialect = postgresql.psycopg.dialect()  # type: ignore[attr-defined]
    for statement in (sms._CLAIM_AND_OPEN, sms._REPLY_AND_SAVE):
        compiled = statement.compile(dialect=dialect)
        assert len(compiled.string) <= MAX_CACHED_STATEMENT_LENGTH
        assert len(compiled.binds) <= MAX_CACHED_STATEMENT_PARAMS
