"""Every staff event is journaled, and never with a password or a PIN."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway import audit
from gateway.runtime import Runtime
from gateway.staff import service
from gateway.staff.models import StaffRole
from gateway.store.models import AuditEvent
from tests.staff.conftest import PASSWORD, csrf_token, make_account, sign_in


def test_staff_events_are_journaled_without_secrets(runtime: Runtime, client: TestClient) -> None:
    make_account(runtime, "mia", StaffRole.MEDIATEUR)
    sign_in(client, "mia", "a wrong password, surely")
    sign_in(client, "mia")
    pin_form = {"password": PASSWORD, "pin": "4071", "pin_again": "4071"}
    client.post("/staff/pin", data={**pin_form, "csrf_token": csrf_token(client.get("/staff/pin"))})
    with runtime.sessions() as session, session.begin():
        service.check_pin(session, "mia", "9999")
    client.post("/staff/sign-out", data={"csrf_token": csrf_token(client.get("/staff/"))})
    with runtime.sessions() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert audit.verify(session).ok
    assert [e.action for e in events] == [
        "staff.created",
        "staff.sign_in_failed",
        "staff.signed_in",
        "staff.pin_set",
        "staff.pin_failed",
        "staff.signed_out",
    ]
    assert {e.actor for e in events} == {"cli", "staff:mia"}
    journal = json.dumps([[e.actor, e.subject_id, e.payload] for e in events])
    for secret in (PASSWORD, "a wrong password", "4071", "9999"):
        assert secret not in journal
