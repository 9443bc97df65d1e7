"""Statements run on the driver's cursor read and write values as SQLAlchemy does, raise
its errors, stay visible to its listeners, and refuse what they cannot run alike."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Select, bindparam, event, func, insert, inspect, select
from sqlalchemy.exc import DBAPIError, IntegrityError, InvalidRequestError

from gateway.runtime import Runtime
from gateway.sms.models import SmsConversation, SmsInbound
from gateway.sms.repository import _CLAIM_AND_OPEN
from gateway.store import direct
from gateway.store.base import as_utc, utcnow
from gateway.store.models import (
    Answer,
    AuditEvent,
    Contribution,
    ContributionStatus,
    Participant,
)
from gateway.store.session import adopt_row
from tests.helpers import load_examples, make_intake, make_participant, record

TABLES = [Contribution, Answer, AuditEvent, Participant]


@pytest.fixture
def voted(runtime: Runtime) -> Runtime:
    load_examples(runtime)
    record(runtime, make_intake(participant=make_participant("+33611111111")))
    record(runtime, make_intake(answers={"projets": ["bancs", "fontaines"]}, external_id="x-2"))
    return runtime


def _both(runtime: Runtime, statement: Any, parameters: dict[str, Any]) -> tuple[Any, Any]:
    with runtime.sessions() as session, session.begin():
        fast = direct.rows(session, statement, parameters)
        result = session.connection().execute(statement, parameters)
        usual = [dict(row) for row in result.mappings()]
    return fast, usual


@pytest.mark.parametrize("model", TABLES, ids=lambda model: model.__name__)
def test_rows_read_as_sqlalchemy_reads_them(voted: Runtime, model: Any) -> None:
    # Times with their zone, JSON, enumerations, floats and empty values alike.
    statement = select(*model.__table__.columns).order_by(model.id)
    fast, usual = _both(voted, statement, {})
    assert usual and fast == usual
    assert [type(value) for value in fast[0].values()] == [
        type(value) for value in usual[0].values()
    ]


def test_values_are_written_as_sqlalchemy_writes_them(runtime: Runtime) -> None:
    at = utcnow()
    row = {"language": "fr", "status": "idle", "step": 0, "attempts": 0, "answers": {"q": [1]},
           "transcript": [{"in": "Oui 👍"}], "created_at": at, "updated_at": at}  # fmt: skip
    add = _insert(SmsConversation, [*row, "phone_hash"]).returning(
        *SmsConversation.__table__.columns
    )
    with runtime.sessions() as session, session.begin():
        [fast] = direct.rows(session, add, {**row, "phone_hash": "a" * 64})
        usual = session.connection().execute(add, {**row, "phone_hash": "b" * 64}).mappings()
        [usual_row] = [dict(found) for found in usual]
    assert {**fast, "id": 0, "phone_hash": ""} == {**usual_row, "id": 0, "phone_hash": ""}
    assert as_utc(fast["created_at"]) == at and fast["answers"] == {"q": [1]}


def _insert(model: Any, names: list[str]) -> Any:
    return insert(model).values({name: bindparam(name) for name in names})


def test_a_statement_without_result_columns_gives_no_rows(runtime: Runtime) -> None:
    add = _insert(SmsInbound, ["message_sid", "phone_hash", "received_at"])
    values = {"message_sid": "SM-direct", "phone_hash": "c" * 64, "received_at": utcnow()}
    with runtime.sessions() as session, session.begin():
        # Unless SQLAlchemy reads the new id back by itself, as on PostgreSQL.
        assert direct.rows(session, add, values) in ([], [{"id": 1}])
        assert session.scalar(select(SmsInbound.phone_hash)) == "c" * 64


def test_the_claim_reads_under_the_keys_sqlalchemy_gives(voted: Runtime) -> None:
    if voted.engine.dialect.name != "postgresql":
        pytest.skip("the claim in one statement is PostgreSQL's")
    now = utcnow()
    parameters = {"phone_hash": "d" * 64, "now": now, "since": now, "named_code": "BUDGET",
                  "named_key": "d" * 64, "within": 10}  # fmt: skip
    fast, usual = _both(voted, _CLAIM_AND_OPEN, {**parameters, "message_sid": "SM-a"})
    assert list(fast[0]) == list(usual[0])
    assert fast[0]["inbound_id"] is not None and fast[0]["opted_out"] is False


def test_a_driver_error_is_sqlalchemys_and_leaves_the_store_as_it_was(voted: Runtime) -> None:
    columns = [c for c in Contribution.__table__.columns if c.key != "id"]
    copy = select(*columns).where(Contribution.external_id == bindparam("external_id"))
    again = insert(Contribution).from_select([c.key for c in columns], copy)
    last = select(Contribution.id).order_by(Contribution.id.desc()).limit(1)
    with voted.sessions() as session:
        external_id, before = session.scalar(select(Contribution.external_id)), session.scalar(last)
    with voted.sessions() as session, pytest.raises(IntegrityError), session.begin():
        direct.rows(session, again, {"external_id": external_id})
    with voted.sessions() as session:
        assert session.scalar(last) == before


def test_a_missing_parameter_is_refused_before_anything_is_sent(runtime: Runtime) -> None:
    by_sid = select(SmsInbound.id).where(SmsInbound.message_sid == bindparam("sid"))
    refused = pytest.raises(InvalidRequestError, match="value is required")
    with runtime.sessions() as session, session.begin(), refused:
        direct.rows(session, by_sid, {})


def test_listeners_see_each_statement(runtime: Runtime) -> None:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", note)
    try:
        with runtime.sessions() as session, session.begin():
            direct.rows(session, select(SmsInbound.id).where(SmsInbound.id == 0), {})
    finally:
        event.remove(runtime.engine, "before_cursor_execute", note)
    assert [s for s in seen if "sms_inbound" in s]


EVENT_WITHOUT_TIME = {"actor": "a", "action": "b", "subject_type": "c", "subject_id": "d",
                      "payload": {}, "prev_hash": "e", "hash": "f"}  # fmt: skip


def _expanding() -> Select[Any]:
    return select(SmsInbound.id).where(SmsInbound.id.in_(bindparam("ids", expanding=True)))


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        # `at` has a default computed in Python, at execution, by SQLAlchemy.
        (insert(AuditEvent).values(EVENT_WITHOUT_TIME), "defaults"),
        (_expanding(), "expanding"),
        (select(SmsInbound.id, SmsConversation.id), "share a name"),
    ],
    ids=["python-default", "expanding", "same-name"],
)
def test_what_needs_sqlalchemy_at_execution_is_refused(
    runtime: Runtime, statement: Any, why: str
) -> None:
    with runtime.sessions() as session, session.begin():
        with pytest.raises(TypeError, match=why):
            direct.rows(session, statement, {"ids": [1]})
        assert session.scalar(select(AuditEvent.id)) is None


def test_a_row_written_is_adopted_as_if_loaded_and_a_change_to_it_is_written(
    voted: Runtime,
) -> None:
    statement = select(*Contribution.__table__.columns).order_by(Contribution.id).limit(1)
    with voted.sessions() as session, session.begin():
        [row] = direct.rows(session, statement, {})
        contribution = adopt_row(session, Contribution, row)
        assert inspect(contribution).persistent and not session.dirty
        assert contribution.receipt_code == row["receipt_code"]
        contribution.status = ContributionStatus.DUPLICATE
        session.flush()
    with voted.sessions() as session:
        stored = session.get_one(Contribution, row["id"])
        assert (stored.status, stored.receipt_code) == ("duplicate", row["receipt_code"])


def test_statements_built_on_every_call_are_not_kept_for_ever(runtime: Runtime) -> None:
    with runtime.sessions() as session, session.begin():
        for number in range(direct._MAX_READY + 10):
            statement = select(SmsInbound.id).where(SmsInbound.id == number)
            assert direct.rows(session, statement, {}) == []
    assert len(direct._READY) <= direct._MAX_READY


@pytest.mark.postgres
def test_a_connection_lost_mid_transaction_is_not_given_back_to_the_pool(
    pg_runtime: Runtime,
) -> None:
    alive = select(SmsInbound.id).where(SmsInbound.id == 0)
    with pg_runtime.sessions() as session:
        with pytest.raises(DBAPIError) as lost, session.begin():
            pid = session.scalar(select(func.pg_backend_pid()))
            with pg_runtime.engine.connect() as other:
                other.execute(select(func.pg_terminate_backend(pid)))
            direct.rows(session, alive, {})
        assert lost.value.connection_invalidated
    # The next transaction gets a live connection.
    with pg_runtime.sessions() as session, session.begin():
        assert direct.rows(session, alive, {}) == []
        assert session.scalar(select(func.pg_backend_pid())) != pid
