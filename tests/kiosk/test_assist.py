"""The médiateur-assisted mode: PIN, consent as a mandate, flagging, the cap, the journal."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.app import create_app
from gateway.channels import build_runtime
from gateway.consultations import repository as consultations
from gateway.consultations.schema import Definition
from gateway.kiosk import service
from gateway.kiosk.models import KioskSession
from gateway.mandates.models import KioskMandate
from gateway.runtime import Runtime
from gateway.staff import service as staff
from gateway.staff.models import StaffRole
from gateway.store.models import AuditEvent, Channel, Contribution
from tests.conftest import Clock, make_settings
from tests.helpers import load_examples
from tests.kiosk.test_pages import answer, contributions, go, vote
from tests.staff.conftest import sign_in

PIN = "482915"


def make_mediateur(runtime: Runtime, login: str = "mina", elected: bool = False) -> None:
    with runtime.sessions() as session, session.begin():
        account = staff.create_account(
            session, login, StaffRole.MEDIATEUR, "correct horse battery staple", elected=elected
        )
        staff.set_pin(session, account, PIN)


def pin_in(
    client: TestClient, kiosk_id: str, login: str = "mina", pin: str = PIN
) -> httpx.Response:
    return client.post(f"/kiosk/{kiosk_id}/assist", data={"login": login, "pin": pin})


def assisted_start(
    client: TestClient, kiosk_id: str, code: str, consent: str, agree: str = ""
) -> httpx.Response:
    asked = client.post(f"/kiosk/{kiosk_id}/start", data={"code": code})
    assert asked.headers["location"].endswith(f"/consent?code={code}")
    assert "Comment la personne" in client.get(asked.headers["location"]).text
    form = {"code": code, "consent": consent, "agree": agree}
    return client.post(f"/kiosk/{kiosk_id}/consent", data=form)


def actions(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_an_assisted_vote_is_flagged_with_its_mandate_and_journaled(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    make_mediateur(runtime)
    assert "Code PIN de borne" in client.get(f"/kiosk/{kiosk_id}/assist").text
    home = go(client, pin_in(client, kiosk_id))
    assert "mina, médiateur" in home.text
    page = go(client, assisted_start(client, kiosk_id, "BUDGET", "signed", agree="yes"))
    assert "Question 1 sur 2" in page.text and "mina" in page.text
    go(client, answer(client, kiosk_id, "projets", "bancs"))
    go(client, answer(client, kiosk_id, "tranche-age", "18-29"))
    go(client, client.post(f"/kiosk/{kiosk_id}/summary", data={"action": "send"}))
    client.post(f"/kiosk/{kiosk_id}/end")
    with runtime.sessions() as session:
        row = session.scalars(select(Contribution)).one()
        mandate = session.scalars(select(KioskMandate)).one()
        assert (row.channel, row.assisted_by) == ("kiosk", "staff:mina")
        assert (mandate.consent, mandate.contribution_id) == ("signed", row.id)
        assert mandate.ended_at is not None and mandate.kiosk_id == kiosk_id
        assert session.scalar(select(func.count()).select_from(KioskSession)) == 0
    journal = actions(runtime)
    for action in ("kiosk.assist_signed_in", "kiosk.mandate_opened", "contribution.recorded",
                   "kiosk.mandate_used", "kiosk.mandate_ended"):  # fmt: skip
        assert action in journal


def test_paper_over_the_counter_is_typed_paper_and_assisted(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    make_mediateur(runtime)
    pin_in(client, kiosk_id)
    go(client, assisted_start(client, kiosk_id, "BUDGET", "paper"))
    go(client, answer(client, kiosk_id, "projets", "fontaines"))
    go(client, answer(client, kiosk_id, "tranche-age", "30-59"))
    go(client, client.post(f"/kiosk/{kiosk_id}/summary", data={"action": "send"}))
    with runtime.sessions() as session:
        row = session.scalars(select(Contribution)).one()
        assert (row.channel, row.assisted_by) == ("paper", "staff:mina")
        assert {a.source for a in row.answers} == {"typed"}


def _drop_paper(runtime: Runtime, code: str) -> None:
    """Load a new version of the consultation that no longer offers the paper channel."""
    with runtime.sessions() as session, session.begin():
        definition = consultations.definition_of(consultations.get(session, code))
        channels = [c for c in definition.channels if c != Channel.PAPER]
        changed = definition.model_copy(update={"channels": channels})
        consultations.save_definition(session, Definition.model_validate(changed.model_dump()))


def test_paper_is_keyed_in_only_for_a_consultation_that_takes_paper(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    make_mediateur(runtime)
    _drop_paper(runtime, "BUDGET")
    pin_in(client, kiosk_id)

    refused = assisted_start(client, kiosk_id, "BUDGET", "paper")

    assert refused.status_code == 400 and "ne prend pas de formulaires papier" in refused.text
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(KioskMandate)) == 0


def test_paper_begun_before_the_consultation_dropped_paper_is_not_sent(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    make_mediateur(runtime)
    pin_in(client, kiosk_id)
    go(client, assisted_start(client, kiosk_id, "BUDGET", "paper"))
    go(client, answer(client, kiosk_id, "projets", "fontaines"))
    go(client, answer(client, kiosk_id, "tranche-age", "30-59"))
    _drop_paper(runtime, "BUDGET")

    sent = client.post(f"/kiosk/{kiosk_id}/summary", data={"action": "send"})

    assert "ne prend pas de formulaires papier" in sent.text
    assert contributions(runtime) == 0


@pytest.mark.parametrize(("consent", "agree"), [("", ""), ("signed", ""), ("forged", "yes")])
def test_no_mandate_without_a_consent_and_nothing_starts(
    client: TestClient, runtime: Runtime, kiosk_id: str, consent: str, agree: str
) -> None:
    make_mediateur(runtime)
    pin_in(client, kiosk_id)
    refused = assisted_start(client, kiosk_id, "BUDGET", consent, agree)
    assert refused.status_code == 400 and 'role="alert"' in refused.text
    # Without a mandate, the consultation does not start and nothing can be sent.
    again = client.post(f"/kiosk/{kiosk_id}/start", data={"code": "BUDGET"})
    assert "/consent" in again.headers["location"]
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(KioskMandate)) == 0


def test_a_wrong_pin_is_refused_and_locks_after_five(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    make_mediateur(runtime)
    for _ in range(5):
        wrong = pin_in(client, kiosk_id, pin="000000")
        assert wrong.status_code == 400
    locked = pin_in(client, kiosk_id)
    assert locked.status_code == 400 and "bloqué" in locked.text
    assert not client.cookies.get("pv_kiosk")


def test_an_elected_official_cannot_assist(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    make_mediateur(runtime, "maire", elected=True)
    refused = pin_in(client, kiosk_id, "maire")
    assert refused.status_code == 403 and "élu" in refused.text
    assert not client.cookies.get("pv_kiosk")
    assert actions(runtime)[-1] == "kiosk.assist_refused"


def test_the_cap_per_mediateur_and_consultation(clock: Clock, tmp_path: Path, db_url: str) -> None:
    capped = build_runtime(make_settings(tmp_path, db_url, kiosk_assist_cap=1), dispatch=False)
    try:
        load_examples(capped)
        make_mediateur(capped)
        with capped.sessions() as session, session.begin():
            kiosk = service.register(session, "france-services", "France Services").id
        with TestClient(create_app(runtime=capped), follow_redirects=False) as client:
            pin_in(client, kiosk)
            go(client, assisted_start(client, kiosk, "BUDGET", "spoken"))
            go(client, answer(client, kiosk, "projets", "bancs"))
            go(client, answer(client, kiosk, "tranche-age", "18-29"))
            go(client, client.post(f"/kiosk/{kiosk}/summary", data={"action": "send"}))
            client.post(f"/kiosk/{kiosk}/end")
            pin_in(client, kiosk)
            refused = assisted_start(client, kiosk, "BUDGET", "spoken")
            assert refused.status_code == 400 and "autre médiateur" in refused.text
            # Another consultation is another count.
            assert assisted_start(client, kiosk, "PARC", "spoken").status_code == 303
        assert contributions(capped) == 1
    finally:
        capped.close()


def test_staff_see_counts_per_mediateur_and_per_kiosk(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    make_mediateur(runtime)
    pin_in(client, kiosk_id)
    go(client, assisted_start(client, kiosk_id, "BUDGET", "spoken"))
    go(client, answer(client, kiosk_id, "projets", "bancs"))
    go(client, answer(client, kiosk_id, "tranche-age", "18-29"))
    go(client, client.post(f"/kiosk/{kiosk_id}/summary", data={"action": "send"}))
    client.post(f"/kiosk/{kiosk_id}/end")
    assert client.get("/staff/kiosks").status_code == 303
    sign_in(client, "mina", "correct horse battery staple")
    page = client.get("/staff/kiosks")
    assert page.status_code == 200
    assert "<td>mina</td><td>BUDGET</td><td>1</td><td>1</td>" in page.text
    counted = re.search(r'<td><a href="/kiosk/[^"]+">mairie-accueil</a></td>(.*?)</tr>', page.text)
    assert counted and counted.group(1) == "<td>Mairie, accueil</td><td>1</td><td>1</td>"


def test_a_resident_alone_is_not_assisted(
    client: TestClient, runtime: Runtime, kiosk_id: str
) -> None:
    vote(client, kiosk_id)
    go(client, client.post(f"/kiosk/{kiosk_id}/summary", data={"action": "send"}))
    with runtime.sessions() as session:
        assert session.scalars(select(Contribution)).one().assisted_by is None
