"""Mandates recorded at a kiosk, listed for agents; revoking one sends its contribution back."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway import audit
from gateway.contributions import decisions
from gateway.kiosk import service as kiosks
from gateway.mandates.models import KioskMandate
from gateway.runtime import Runtime
from gateway.staff.models import StaffRole
from gateway.store.models import AuditEvent, Contribution, ContributionStatus
from tests.helpers import assert_counts_match_recount
from tests.kiosk.test_assist import assisted_start, make_mediateur, pin_in
from tests.kiosk.test_pages import answer, go
from tests.mediation.test_cli import run
from tests.mediation.test_review import make_reviewer
from tests.staff.conftest import csrf_token


@pytest.fixture
def assisted(store: Runtime, client: TestClient) -> tuple[str, int]:
    """A contribution a médiateur helped with at a kiosk, through its pages: (kiosk, mandate)."""
    with store.sessions() as session, session.begin():
        kiosk_id = kiosks.register(session, "mairie-accueil", "Mairie, accueil").id
    make_mediateur(store)
    pin_in(client, kiosk_id)
    go(client, assisted_start(client, kiosk_id, "BUDGET", "signed", agree="yes"))
    go(client, answer(client, kiosk_id, "projets", "bancs"))
    go(client, answer(client, kiosk_id, "tranche-age", "18-29"))
    go(client, client.post(f"/kiosk/{kiosk_id}/summary", data={"action": "send"}))
    client.post(f"/kiosk/{kiosk_id}/end")
    found = mandate(store)
    # An anonymous kiosk vote waits in review; an agent counted this one.
    with store.sessions() as session, session.begin():
        decisions.decide_status(session, found.contribution_id or 0, ContributionStatus.COUNTED,
                                actor="staff:carla", reason="checked at the counter")  # fmt: skip
    return kiosk_id, found.id


def mandate(runtime: Runtime) -> KioskMandate:
    with runtime.sessions() as session:
        return session.scalars(select(KioskMandate)).one()


def status_of(runtime: Runtime, contribution_id: int | None) -> str:
    with runtime.sessions() as session:
        return session.get_one(Contribution, contribution_id).status


def counted(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        query = select(func.count()).where(Contribution.status == ContributionStatus.COUNTED)
        return session.scalar(query) or 0


def events(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def revoke(client: TestClient, mandate_id: int, reason: str, token: str = "") -> httpx.Response:
    token = token or csrf_token(client.get("/mediation/mandates"))
    form = {"csrf_token": token, "reason": reason}
    return client.post(f"/mediation/mandates/{mandate_id}/revoke", data=form)


def test_an_agent_revokes_a_mandate_and_its_contribution_goes_to_review(
    store: Runtime, client: TestClient, assisted: tuple[str, int]
) -> None:
    _, mandate_id = assisted
    recorded = mandate(store).contribution_id
    make_reviewer(store, client, "carla", StaffRole.AGENT)
    page = client.get("/mediation/mandates")
    assert "1 mandats, dont 0 retirés" in page.text and f"c{recorded} (counted)" in page.text
    assert counted(store) == 1

    assert revoke(client, mandate_id, "consentement douteux").status_code == 303

    revoked = mandate(store)
    assert (revoked.revoked_by, revoked.revoke_reason) == ("staff:carla", "consentement douteux")
    assert status_of(store, recorded) == ContributionStatus.REVIEW and counted(store) == 0
    assert "1 mandats, dont 1 retirés" in client.get("/mediation/mandates").text
    assert f">c{recorded}<" in client.get("/mediation/review").text
    assert_counts_match_recount(store)
    with store.sessions() as session:
        assert audit.verify(session).ok
        assert "mandate.revoked" in session.scalars(select(AuditEvent.action)).all()


def test_revoking_twice_says_so_and_changes_nothing(
    store: Runtime, client: TestClient, assisted: tuple[str, int]
) -> None:
    _, mandate_id = assisted
    make_reviewer(store, client, "carla", StaffRole.AGENT)
    revoke(client, mandate_id, "consentement douteux")
    before = events(store)

    again = revoke(client, mandate_id, "une autre raison")

    assert again.status_code == 409 and "Ce mandat a déjà été retiré" in again.text
    assert mandate(store).revoke_reason == "consentement douteux" and events(store) == before


def test_a_revocation_needs_a_reason(
    store: Runtime, client: TestClient, assisted: tuple[str, int]
) -> None:
    _, mandate_id = assisted
    make_reviewer(store, client, "carla", StaffRole.AGENT)
    refused = revoke(client, mandate_id, "  ")
    assert refused.status_code == 409 and "Écrivez pourquoi" in refused.text
    assert mandate(store).revoked_at is None and counted(store) == 1


def test_a_forged_form_is_refused_and_changes_nothing(
    store: Runtime, client: TestClient, assisted: tuple[str, int]
) -> None:
    _, mandate_id = assisted
    make_reviewer(store, client, "carla", StaffRole.AGENT)
    before = events(store)
    assert revoke(client, mandate_id, "raison", token="forged").status_code == 403
    assert mandate(store).revoked_at is None and counted(store) == 1 and events(store) == before


@pytest.mark.parametrize(
    ("role", "page_status", "revoke_status"),
    [(StaffRole.ADMIN, 200, 303), (StaffRole.OBSERVER, 200, 403), (StaffRole.MEDIATEUR, 403, 403)],
)
def test_agents_and_admins_revoke_observers_read_mediators_do_not_see(
    store: Runtime, client: TestClient, assisted: tuple[str, int],
    role: StaffRole, page_status: int, revoke_status: int,
) -> None:  # fmt: skip
    _, mandate_id = assisted
    make_reviewer(store, client, "zoe", role)
    page = client.get("/mediation/mandates")
    assert page.status_code == page_status
    assert ("/revoke" in page.text) == (role == StaffRole.ADMIN)
    token = csrf_token(client.get("/staff/"))
    assert revoke(client, mandate_id, "raison", token=token).status_code == revoke_status
    assert (mandate(store).revoked_at is not None) == (role == StaffRole.ADMIN)


def test_mandates_are_filtered_by_consultation_mediator_kiosk_and_day(
    store: Runtime, client: TestClient, assisted: tuple[str, int]
) -> None:
    kiosk_id, _ = assisted
    make_reviewer(store, client, "carla", StaffRole.AGENT)
    day = mandate(store).started_at.date()

    def listed(**query: str) -> bool:
        return "1 mandats" in client.get("/mediation/mandates", params=query).text

    assert listed(consultation="budget", mediateur="mina", kiosk=kiosk_id, day=day.isoformat())
    assert not listed(consultation="AUTRE")
    assert not listed(mediateur="leo")
    assert not listed(kiosk="ailleurs")
    assert not listed(day=(day - timedelta(days=1)).isoformat())
    assert listed(day="not a day")


def test_a_contribution_still_in_review_waits_there_for_the_revocation(
    store: Runtime, client: TestClient, assisted: tuple[str, int]
) -> None:
    _, mandate_id = assisted
    recorded = mandate(store).contribution_id or 0
    with store.sessions() as session, session.begin():
        decisions.decide_status(session, recorded, ContributionStatus.REVIEW,
                                actor="staff:carla", reason="a second look")  # fmt: skip
    make_reviewer(store, client, "carla", StaffRole.AGENT)

    assert revoke(client, mandate_id, "consentement douteux").status_code == 303

    with store.sessions() as session:
        found = session.get_one(Contribution, recorded)
        assert (found.status, found.status_reason) == (
            ContributionStatus.REVIEW, "mandate revoked: consentement douteux"
        )  # fmt: skip
    assert f">c{recorded}<" in client.get("/mediation/review?reason=assisted").text


def test_mandates_are_listed_on_the_command_line(
    store: Runtime, client: TestClient, assisted: tuple[str, int]
) -> None:
    kiosk_id, mandate_id = assisted
    listed = run(store, "mandates", "--kiosk", kiosk_id)
    assert listed.exit_code == 0, listed.output
    line, total = listed.stdout.splitlines()
    assert line.split()[0] == str(mandate_id) and kiosk_id in line and "(counted)" in line
    assert total == "1 mandates, 0 revoked"
    with store.sessions() as session, session.begin():
        decisions.revoke_mandate(session, mandate_id, actor="staff:carla", reason="no consent")
    revoked = run(store, "mandates", "--consultation", "BUDGET").stdout.splitlines()
    assert revoked[0].endswith("revoked by staff:carla: no consent")
    assert revoked[-1] == "1 mandates, 1 revoked"
    assert run(store, "mandates", "--kiosk", "elsewhere").stdout == "0 mandates, 0 revoked\n"
    assert run(store, "mandates", "--day", "1 dec").exit_code != 0
