"""Invitations through the real twilio client to a local stand-in; status callbacks; purges."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway import contacts
from gateway.app import create_app
from gateway.clock import set_clock
from gateway.identity import participant_key
from gateway.runtime import Runtime
from gateway.sms import tasks
from gateway.sms.models import (
    OutboundStatus,
    SmsConversation,
    SmsInbound,
    SmsOutbound,
    SmsStatusEvent,
)
from gateway.sms.outbound import (
    in_quiet_hours,
    queue_invitations,
    read_numbers,
    send_queued,
    settle_early_statuses,
)
from gateway.store.models import Channel
from gateway.twilio.standin import TwilioStandIn, twilio_stand_in
from tests.sms.conftest import Clock, make_sms_runtime
from tests.sms.twilio import STATUS, TOKEN, Phone, post_signed, recorded

ACCOUNT = "AC00000000000000000000000000000000"
TUESDAY_NOON = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Paris


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    with twilio_stand_in(ACCOUNT, TOKEN) as server:
        yield server


@pytest.fixture
def runtime_out(
    tmp_path: Path, db_url: str, twilio: TwilioStandIn, clock: Clock
) -> Iterator[Runtime]:
    runtime = make_sms_runtime(
        tmp_path,
        db_url,
        twilio_account_sid=ACCOUNT,
        twilio_from_number="+33644630000",
        twilio_api_url=twilio.url,
        sms_send_per_minute=1,
    )
    yield runtime
    runtime.close()


def _invite(runtime: Runtime, numbers: list[str]) -> None:
    with runtime.sessions() as session, session.begin():
        queue_invitations(session, runtime.settings, "PARC", numbers)


def _outbound(runtime: Runtime) -> list[SmsOutbound]:
    with runtime.sessions() as session:
        return list(session.scalars(select(SmsOutbound).order_by(SmsOutbound.id)))


def test_csv_numbers(tmp_path: Path) -> None:
    path = tmp_path / "numbers.csv"
    path.write_text("nom;x\n", encoding="utf-8")
    path.write_text("Nom,Téléphone\nA,06 12 34 56 78\nB,+33 7 00 00 00 02\n\nC,pas un numéro\n")
    assert read_numbers(path) == ["06 12 34 56 78", "+33 7 00 00 00 02", "pas un numéro"]


def test_invitations_go_through_twilio_with_a_status_callback(
    runtime_out: Runtime, twilio: TwilioStandIn
) -> None:
    with runtime_out.sessions() as session, session.begin():
        report = queue_invitations(
            session,
            runtime_out.settings,
            "PARC",
            ["06 12 34 56 78", "0612345678", "nope", "0700000002"],
        )
    assert (report.queued, report.already_queued, report.invalid) == (2, 1, ["nope"])
    assert send_queued(runtime_out, TUESDAY_NOON) == 2
    assert [m["To"] for m in twilio.sent] == ["+33612345678", "+33700000002"]
    sent = twilio.sent[0]
    assert sent["From"] == "+33644630000"
    assert sent["StatusCallback"] == "https://porte-voix.mairie.example/sms/twilio/status"
    assert sent["Body"].startswith(
        "Le nouveau parc des Tilleuls. Donnez votre avis par SMS : envoyez PARC"
    )
    rows = _outbound(runtime_out)
    assert {r.status for r in rows} == {OutboundStatus.SENT}
    assert all(r.to is None and r.message_sid for r in rows)
    assert send_queued(runtime_out, TUESDAY_NOON) == 0  # nothing sent twice


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        ("2026-12-01T12:00", False),  # Tuesday noon
        ("2026-12-01T07:59", True),
        ("2026-12-01T08:00", False),
        ("2026-12-01T21:59", False),
        ("2026-12-01T22:00", True),
        ("2026-12-06T12:00", True),  # Sunday
    ],
)
def test_quiet_hours(runtime_out: Runtime, local: str, quiet: bool) -> None:
    from zoneinfo import ZoneInfo

    at = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("Europe/Paris"))
    assert in_quiet_hours(runtime_out.settings, at) is quiet


def test_nothing_is_sent_in_quiet_hours(runtime_out: Runtime, twilio: TwilioStandIn) -> None:
    _invite(runtime_out, ["0612345678"])
    assert send_queued(runtime_out, TUESDAY_NOON.replace(hour=22)) == 0
    assert twilio.sent == [] and _outbound(runtime_out)[0].status == OutboundStatus.QUEUED


def test_opt_outs_are_never_invited(
    client_out: TestClient, runtime_out: Runtime, twilio: TwilioStandIn
) -> None:
    Phone(client_out, number="+33612345678").text("STOP")
    _invite(runtime_out, ["0612345678", "0700000002"])
    Phone(client_out, number="+33700000002").text("ARRÊT")  # after queueing, before sending
    assert send_queued(runtime_out, TUESDAY_NOON) == 0
    assert twilio.sent == []
    [skipped] = _outbound(runtime_out)
    assert (skipped.status, skipped.reason, skipped.to) == (
        OutboundStatus.SKIPPED,
        "opted out",
        None,
    )


def test_a_refused_send_is_marked_failed(runtime_out: Runtime, twilio: TwilioStandIn) -> None:
    twilio.refuse.add("+33612345678")
    _invite(runtime_out, ["0612345678"])
    assert send_queued(runtime_out, TUESDAY_NOON) == 0
    [failed] = _outbound(runtime_out)
    assert failed.status == OutboundStatus.FAILED and "21610" in (failed.reason or "")


@pytest.fixture
def client_out(runtime_out: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime_out)) as client:
        yield client


def test_status_callbacks_are_stored_once(client_out: TestClient, runtime_out: Runtime) -> None:
    _invite(runtime_out, ["0612345678"])
    send_queued(runtime_out, TUESDAY_NOON)
    [row] = _outbound(runtime_out)
    for name in ["status-delivered.form", "status-delivered.form", "status-undelivered.form"]:
        form = recorded(name, MessageSid=row.message_sid or "")
        assert post_signed(client_out, STATUS, form).status_code == 204
    with runtime_out.sessions() as session:
        events = session.scalars(select(SmsStatusEvent).order_by(SmsStatusEvent.id)).all()
        status = session.get_one(SmsOutbound, row.id).status
    assert [(e.status, e.error_code) for e in events] == [
        ("delivered", None),
        ("undelivered", "30003"),
    ]
    assert status == OutboundStatus.DELIVERED  # final: a later callback cannot change it


def test_purge_forgets_numbers_of_idle_conversations(
    client_out: TestClient, runtime_out: Runtime, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    Phone(client_out).text("PARC")
    Phone(client_out).text("oui")
    with runtime_out.sessions() as session:
        conversation = session.scalars(select(SmsConversation)).one()
        assert conversation.answers and conversation.transcript
    with set_clock(lambda: clock.now + timedelta(hours=2)):
        tasks.purge_numbers(runtime_out)
    with runtime_out.sessions() as session:
        conversation = session.scalars(select(SmsConversation)).one()
        assert (conversation.status, conversation.answers, conversation.transcript) == (
            "expired",
            {},
            [],
        )
    clock.advance(hours=2)
    assert Phone(client_out).text("1")[0].startswith("Vous n'avez pas répondu depuis longtemps")


def test_purge_trims_the_inbound_log(
    client_out: TestClient, runtime_out: Runtime, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    Phone(client_out).text("PARC")
    with set_clock(lambda: clock.now + timedelta(days=31)):
        tasks.purge_numbers(runtime_out)
    with runtime_out.sessions() as session:
        assert session.scalars(select(SmsInbound)).all() == []


@pytest.mark.parametrize(
    ("callbacks", "final"),
    [
        (["sent", "delivered"], OutboundStatus.DELIVERED),
        (["delivered", "sent"], OutboundStatus.DELIVERED),
        (["undelivered", "sending", "sent"], OutboundStatus.UNDELIVERED),
        (["failed", "sent", "delivered"], OutboundStatus.FAILED),
    ],
)
def test_a_late_callback_never_moves_a_final_status_back(
    client_out: TestClient, runtime_out: Runtime, callbacks: list[str], final: OutboundStatus
) -> None:
    _invite(runtime_out, ["0612345678"])
    send_queued(runtime_out, TUESDAY_NOON)
    [row] = _outbound(runtime_out)
    for state in callbacks:
        form = recorded("status-delivered.form", MessageSid=row.message_sid or "")
        form |= {"MessageStatus": state, "SmsStatus": state}
        assert post_signed(client_out, STATUS, form).status_code == 204
    with runtime_out.sessions() as session:
        events = session.scalars(select(SmsStatusEvent.status).order_by(SmsStatusEvent.id)).all()
        assert session.get_one(SmsOutbound, row.id).status == final
    assert events == callbacks


def _callback(client: TestClient, sid: str, state: str) -> None:
    form = recorded("status-delivered.form", MessageSid=sid)
    form |= {"MessageStatus": state, "SmsStatus": state}
    assert post_signed(client, STATUS, form).status_code == 204


def test_a_callback_before_the_sid_is_stored_is_applied_when_it_lands(
    client_out: TestClient, runtime_out: Runtime
) -> None:
    _invite(runtime_out, ["0612345678"])
    # Twilio answered the send and called back before our transaction stored the sid.
    _callback(client_out, f"SM{1:032x}", "delivered")
    send_queued(runtime_out, TUESDAY_NOON)
    [row] = _outbound(runtime_out)
    assert (row.message_sid, row.status) == (f"SM{1:032x}", OutboundStatus.DELIVERED)


def test_a_callback_that_raced_the_send_is_settled_by_the_next_run(
    client_out: TestClient, runtime_out: Runtime
) -> None:
    _invite(runtime_out, ["0612345678"])
    send_queued(runtime_out, TUESDAY_NOON)
    [row] = _outbound(runtime_out)
    with runtime_out.sessions() as session, session.begin():
        # What two concurrent transactions leave behind: the event stored, not applied.
        session.add(
            SmsStatusEvent(
                message_sid=row.message_sid or "", status="undelivered", error_code="30003"
            )
        )
    settle_early_statuses(runtime_out)
    [row] = _outbound(runtime_out)
    assert (row.status, row.reason) == (OutboundStatus.UNDELIVERED, "error 30003")


def test_a_do_not_call_said_on_the_phone_stops_sms_invitations(
    runtime_out: Runtime, twilio: TwilioStandIn
) -> None:
    phone_hash = participant_key("phone", "+33612345678", runtime_out.settings.secret)
    with runtime_out.sessions() as session, session.begin():
        contacts.opt_out(session, phone_hash, Channel.IVR, "key 9")
    _invite(runtime_out, ["06 12 34 56 78"])
    assert send_queued(runtime_out, TUESDAY_NOON) == 0 and twilio.sent == []
