"""One person through two channels, end to end: SMS, a phone call, online and a kiosk's optional
number, each rule, and the pair a person settles in review."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.app import create_app
from gateway.consultations import repository as consultations
from gateway.consultations.loader import parse_definition
from gateway.kiosk import service as kiosks
from gateway.runtime import Runtime
from gateway.staff.models import StaffRole
from gateway.store.models import AuditEvent, Contribution
from gateway.twilio.standin import TwilioStandIn, twilio_stand_in
from tests.conftest import Clock
from tests.helpers import BUDGET
from tests.ivr.caller import Call
from tests.kiosk.test_online import ACCOUNT, ask_code, make_online_runtime, vote_online
from tests.kiosk.test_pages import answer, go
from tests.sms.twilio import TOKEN, Phone
from tests.staff.conftest import csrf_token, make_account, sign_in

NUMBER = "+33612345678"
CODE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    with twilio_stand_in(ACCOUNT, TOKEN) as server:
        yield server


@pytest.fixture
def town(tmp_path: Path, db_url: str, twilio: TwilioStandIn, clock: Clock) -> Iterator[Runtime]:
    """Every channel on one store: SMS and calls signed, codes sent through the stand-in."""
    runtime = make_online_runtime(tmp_path, db_url, twilio)
    yield runtime
    runtime.close()


def make_client(runtime: Runtime) -> TestClient:
    # Secure cookies: the public address is https, as in production.
    app = create_app(runtime=runtime)
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


@pytest.fixture
def resident(town: Runtime) -> Iterator[TestClient]:
    with make_client(town) as client:
        yield client


@pytest.fixture
def client(town: Runtime) -> Iterator[TestClient]:
    """A staff member's browser."""
    with make_client(town) as staff:
        yield staff


@pytest.fixture
def kiosk_id(town: Runtime) -> str:
    with town.sessions() as session, session.begin():
        return kiosks.register(session, "mairie-accueil", "Mairie, accueil").id


def make_rule(runtime: Runtime, rule: str) -> None:
    data = yaml.safe_load(BUDGET.read_text(encoding="utf-8"))
    data["identity"]["on_duplicate"] = rule
    with runtime.sessions() as session, session.begin():
        consultations.save_definition(session, parse_definition(data, folder=BUDGET.parent))


def make_reviewer(runtime: Runtime, client: TestClient, login: str, role: StaffRole) -> None:
    make_account(runtime, login, role)
    assert sign_in(client, login).status_code == 303


def vote_by_sms(client: TestClient) -> None:
    phone = Phone(client, NUMBER)
    for body in ("BUDGET", "1", "2"):
        phone.text(body)


def vote_by_call(client: TestClient) -> None:
    call = Call(client, NUMBER)
    call.dial()
    call.press("")  # no opt-out at the greeting
    for keys in ("1", "3", "1"):  # the budget, a project, confirmed
        call.press(keys)
    assert call.press("2").hung_up


def vote_at_kiosk(
    client: TestClient, twilio: TwilioStandIn, kiosk_id: str, number: str | None = "06 12 34 56 78"
) -> httpx.Response:
    base = f"/kiosk/{kiosk_id}"
    go(client, client.post(f"{base}/start", data={"code": "BUDGET"}))
    go(client, answer(client, kiosk_id, "projets", "toilettes"))
    summary = go(client, answer(client, kiosk_id, "tranche-age", "18-29"))
    assert "Votre numéro de portable (facultatif)" in summary.text
    if number is not None:
        assert client.get(f"{base}/phone").status_code == 200
        asked = client.post(f"{base}/phone", data={"phone": number})
        assert asked.headers["location"] == f"{base}/verify", asked.text
        found = CODE.search(twilio.sent[-1]["Body"])
        assert found and twilio.sent[-1]["To"] == NUMBER
        back = go(client, client.post(f"{base}/verify", data={"code": found.group(1)}))
        assert "Votre numéro est vérifié" in back.text
    return go(client, client.post(f"{base}/summary", data={"action": "send"}))


def statuses(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.sessions() as session:
        rows = session.scalars(select(Contribution).order_by(Contribution.id))
        return [(row.channel, row.status) for row in rows]


def ids(runtime: Runtime) -> list[int]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Contribution.id).order_by(Contribution.id)))


def decisions_by(runtime: Runtime, actor: str) -> list[tuple[str, str]]:
    with runtime.sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.actor == actor).order_by(AuditEvent.id)
        )
        return [
            (e.subject_id, e.payload["status"]) for e in events if e.subject_type == "contribution"
        ]


def decide(client: TestClient, key: str, action: str) -> httpx.Response:
    token = csrf_token(client.get(f"/mediation/review/{key}"))
    return client.post(f"/mediation/review/{key}", data={"csrf_token": token, "action": action})


def test_sms_then_kiosk_number_is_one_pair_shown_side_by_side_and_settled(
    town: Runtime, resident: TestClient, client: TestClient, twilio: TwilioStandIn, kiosk_id: str
) -> None:
    make_rule(town, "review")
    vote_by_sms(resident)
    receipt = vote_at_kiosk(resident, twilio, kiosk_id)
    assert receipt.status_code == 200
    assert statuses(town) == [("sms", "counted"), ("kiosk", "review")]
    first, second = ids(town)
    make_reviewer(town, client, "alice", StaffRole.MEDIATEUR)
    key = f"c{second}"
    assert f">{key}<" in client.get("/mediation/review?reason=duplicate").text
    page = client.get(f"/mediation/review/{key}")
    assert "Vérifier un doublon possible" in page.text
    for side in (first, second):
        assert f'id="contribution-{side}"' in page.text
    assert page.text.index(">sms<") < page.text.index(">kiosk<")
    assert "toilettes" in page.text  # the kiosk's answer
    assert f"/mediation/evidence/{first}/" in page.text  # the SMS conversation
    assert 'value="keep_first"' in page.text and 'value="reject_both"' in page.text
    assert decide(client, key, "keep_second").status_code == 303
    assert statuses(town) == [("sms", "superseded"), ("kiosk", "counted")]
    journaled = decisions_by(town, "staff:alice")
    assert journaled == [(str(first), "superseded"), (str(second), "counted")]
    assert client.get(f"/mediation/review/{key}").status_code == 404


@pytest.mark.parametrize(
    ("action", "expected", "journaled"),
    [
        ("keep_first", [("sms", "counted"), ("ivr", "duplicate")], [(1, "duplicate")]),
        ("keep_second", [("sms", "superseded"), ("ivr", "counted")],
         [(0, "superseded"), (1, "counted")]),
        ("reject_both", [("sms", "rejected"), ("ivr", "rejected")],
         [(0, "rejected"), (1, "rejected")]),
    ],
)  # fmt: skip
def test_sms_then_a_call_each_decision_is_journaled(
    town: Runtime, resident: TestClient, client: TestClient, action: str,
    expected: list[tuple[str, str]], journaled: list[tuple[int, str]],
) -> None:  # fmt: skip
    make_rule(town, "review")
    vote_by_sms(resident)
    vote_by_call(resident)
    assert statuses(town) == [("sms", "counted"), ("ivr", "review")]
    pair = ids(town)
    make_reviewer(town, client, "alice", StaffRole.AGENT)
    assert decide(client, f"c{pair[1]}", action).status_code == 303
    assert statuses(town) == expected
    assert decisions_by(town, "staff:alice") == [(str(pair[i]), s) for i, s in journaled]


def test_online_with_a_code_then_sms_is_one_pair(
    town: Runtime, resident: TestClient, client: TestClient, twilio: TwilioStandIn
) -> None:
    make_rule(town, "review")
    vote_online(resident, ask_code(resident, twilio))
    vote_by_sms(resident)
    assert statuses(town) == [("online", "counted"), ("sms", "review")]
    make_reviewer(town, client, "alice", StaffRole.AGENT)
    assert decide(client, f"c{ids(town)[1]}", "keep_first").status_code == 303
    assert statuses(town) == [("online", "counted"), ("sms", "duplicate")]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("first_wins", [("sms", "counted"), ("kiosk", "duplicate")]),
        ("last_wins", [("sms", "superseded"), ("kiosk", "counted")]),
    ],
)
def test_first_and_last_wins_apply_across_channels_with_no_review(
    town: Runtime, resident: TestClient, client: TestClient, twilio: TwilioStandIn,
    kiosk_id: str, rule: str, expected: list[tuple[str, str]],
) -> None:  # fmt: skip
    make_rule(town, rule)
    vote_by_sms(resident)
    vote_at_kiosk(resident, twilio, kiosk_id)
    assert statuses(town) == expected
    first, second = ids(town)
    with town.sessions() as session:
        recorded = session.scalars(
            select(AuditEvent.payload).where(
                AuditEvent.action == "contribution.recorded",
                AuditEvent.subject_id == str(second),
            )
        ).one()
    assert recorded["duplicate_of"] == {"contribution": first, "channel": "sms", "rule": rule}
    make_reviewer(town, client, "alice", StaffRole.AGENT)
    assert ">c" not in client.get("/mediation/review?reason=duplicate").text


def test_a_kiosk_vote_without_a_number_goes_to_a_mediateur_not_a_pair(
    town: Runtime, resident: TestClient, client: TestClient, twilio: TwilioStandIn, kiosk_id: str
) -> None:
    make_rule(town, "review")
    vote_by_sms(resident)
    vote_at_kiosk(resident, twilio, kiosk_id, number=None)
    assert statuses(town) == [("sms", "counted"), ("kiosk", "review")]
    make_reviewer(town, client, "alice", StaffRole.AGENT)
    page = client.get(f"/mediation/review/c{ids(town)[1]}")
    assert "kiosk_anonymous" in page.text and "keep_first" not in page.text


def test_a_kiosk_number_that_is_not_one_is_refused_and_can_be_skipped(
    resident: TestClient, twilio: TwilioStandIn, kiosk_id: str
) -> None:
    base = f"/kiosk/{kiosk_id}"
    assert resident.get(f"{base}/phone").headers["location"] == base  # nobody is answering
    go(resident, resident.post(f"{base}/start", data={"code": "BUDGET"}))
    refused = resident.post(f"{base}/phone", data={"phone": "12"})
    assert refused.status_code == 400 and "pas un numéro de portable" in refused.text
    assert twilio.sent == []
    assert "Continuer sans numéro" in resident.get(f"{base}/phone").text


def make_held_pair(town: Runtime, resident: TestClient) -> str:
    make_rule(town, "review")
    vote_by_sms(resident)
    vote_by_call(resident)
    return f"c{ids(town)[1]}"


def test_an_observer_sees_the_pair_but_never_decides(
    town: Runtime, resident: TestClient, client: TestClient
) -> None:
    key = make_held_pair(town, resident)
    make_reviewer(town, client, "olga", StaffRole.OBSERVER)
    page = client.get(f"/mediation/review/{key}")
    assert page.status_code == 200 and "Vérifier un doublon possible" in page.text
    assert 'value="keep_first"' not in page.text
    token = csrf_token(client.get("/staff/"))
    refused = client.post(f"/mediation/review/{key}", data={"csrf_token": token,
                                                            "action": "keep_first"})  # fmt: skip
    assert refused.status_code == 403
    assert statuses(town) == [("sms", "counted"), ("ivr", "review")]


def test_signed_out_the_pair_is_not_shown(town: Runtime, resident: TestClient) -> None:
    key = make_held_pair(town, resident)
    with make_client(town) as stranger:
        shown = stranger.get(f"/mediation/review/{key}")
        assert shown.status_code == 303 and "/staff/sign-in" in shown.headers["location"]
        posted = stranger.post(f"/mediation/review/{key}", data={"action": "reject_both"})
        assert posted.status_code in (303, 403)
    assert statuses(town) == [("sms", "counted"), ("ivr", "review")]


def test_a_pair_action_on_an_ordinary_item_is_refused(
    town: Runtime, resident: TestClient, client: TestClient, twilio: TwilioStandIn, kiosk_id: str
) -> None:
    make_rule(town, "review")
    vote_at_kiosk(resident, twilio, kiosk_id, number=None)
    make_reviewer(town, client, "alice", StaffRole.AGENT)
    refused = decide(client, f"c{ids(town)[0]}", "keep_first")
    assert refused.status_code == 409 and "not a pair" in refused.text
    assert statuses(town) == [("kiosk", "review")]


def test_two_reviewers_racing_for_one_pair(
    town: Runtime, resident: TestClient, client: TestClient, clock: Clock
) -> None:
    key = make_held_pair(town, resident)
    make_reviewer(town, client, "alice", StaffRole.MEDIATEUR)
    alice_page = client.get(f"/mediation/review/{key}")
    assert 'value="keep_first"' in alice_page.text
    with make_client(town) as bob:
        make_reviewer(town, bob, "bob", StaffRole.MEDIATEUR)
        bob_page = bob.get(f"/mediation/review/{key}")
        assert "alice" in bob_page.text and 'value="keep_second"' not in bob_page.text
        token = csrf_token(bob_page)
        taken = bob.post(f"/mediation/review/{key}", data={"csrf_token": token,
                                                           "action": "keep_second"})  # fmt: skip
        assert taken.status_code == 409
        form = {"csrf_token": csrf_token(alice_page), "action": "keep_first"}
        assert client.post(f"/mediation/review/{key}", data=form).status_code == 303
        clock.advance(minutes=6)
        late = bob.post(f"/mediation/review/{key}", data={"csrf_token": token,
                                                          "action": "keep_second"})  # fmt: skip
        assert late.status_code == 404
    assert statuses(town) == [("sms", "counted"), ("ivr", "duplicate")]
    assert decisions_by(town, "staff:bob") == []


def undo(client: TestClient) -> httpx.Response:
    token = csrf_token(client.get("/mediation/review"))
    return client.post("/mediation/review/undo", data={"csrf_token": token})


def test_undo_puts_ones_last_pair_decision_back_once(
    town: Runtime, resident: TestClient, client: TestClient
) -> None:
    key = make_held_pair(town, resident)
    make_reviewer(town, client, "alice", StaffRole.MEDIATEUR)
    assert decide(client, key, "keep_second").status_code == 303
    assert statuses(town) == [("sms", "superseded"), ("ivr", "counted")]
    with make_client(town) as bob:
        make_reviewer(town, bob, "bob", StaffRole.AGENT)
        assert undo(bob).status_code == 409  # not bob's
    undone = undo(client)
    assert undone.status_code == 303 and undone.headers["location"] == f"/mediation/review/{key}"
    assert statuses(town) == [("sms", "counted"), ("ivr", "review")]
    assert 'value="keep_first"' in client.get(undone.headers["location"]).text  # claimed again
    assert undo(client).status_code == 409  # an undo is not undone
    assert decide(client, key, "keep_first").status_code == 303
    assert statuses(town) == [("sms", "counted"), ("ivr", "duplicate")]


def test_the_next_resident_at_the_kiosk_does_not_inherit_a_proved_number(
    town: Runtime, resident: TestClient, twilio: TwilioStandIn, kiosk_id: str
) -> None:
    vote_at_kiosk(resident, twilio, kiosk_id)  # and walks away without ending the session
    again = vote_at_kiosk(resident, twilio, kiosk_id, number=None)
    assert again.status_code == 200
    assert statuses(town) == [("kiosk", "counted"), ("kiosk", "review")]
    with town.sessions() as session:
        participants = [c.participant_id for c in session.scalars(select(Contribution))]
    assert participants[0] != participants[1]
