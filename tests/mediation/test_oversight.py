"""Assisted contributions per médiateur, and bursts sent to review by an agent."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from gateway.runtime import Runtime
from gateway.staff.models import StaffRole
from gateway.store.models import Channel, ContributionStatus
from mediation import oversight
from tests.helpers import DURING, make_intake, record
from tests.mediation.test_review import contribution, make_reviewer
from tests.staff.conftest import csrf_token


def make_assisted(runtime: Runtime, helper: str, minutes: list[float]) -> list[int]:
    """Assisted kiosk contributions, `minutes` after DURING each, without participants."""
    return [
        record(runtime, make_intake(channel=Channel.KIOSK, assisted_by=helper,
                                    received_at=DURING + timedelta(minutes=m))).contribution_id
        for m in minutes
    ]  # fmt: skip


def test_a_burst_is_listed_and_an_agent_sends_it_to_review(
    store: Runtime, client: TestClient
) -> None:
    burst = make_assisted(store, "staff:mina", [0, 1, 2, 3, 4, 5])
    calm = make_assisted(store, "staff:leo", [0, 15, 30, 45, 60, 75, 90])
    make_reviewer(store, client, "carla", StaffRole.AGENT)
    page = client.get("/mediation/activity")
    assert "staff:mina : 6 contributions" in page.text and "staff:leo :" not in page.text
    sent = client.post("/mediation/activity/review", data={"csrf_token": csrf_token(page)})
    assert sent.status_code == 303
    assert {contribution(store, c).status for c in burst} == {ContributionStatus.REVIEW}
    assert {contribution(store, c).status for c in calm} == {ContributionStatus.COUNTED}
    assert f">c{burst[0]}<" in client.get("/mediation/review?reason=assisted").text


def test_a_mediator_sees_activity_but_cannot_send_to_review(
    store: Runtime, client: TestClient
) -> None:
    make_assisted(store, "staff:mina", [0, 1, 2, 3, 4, 5])
    make_reviewer(store, client, "mina", StaffRole.MEDIATEUR)
    page = client.get("/mediation/activity")
    assert page.status_code == 200 and "/mediation/activity/review" not in page.text
    token = csrf_token(client.get("/mediation/review"))
    assert client.post("/mediation/activity/review", data={"csrf_token": token}).status_code == 403


def test_bursts_are_more_than_the_size_within_the_window() -> None:
    def rows(minutes: list[float]) -> list[oversight.Assisted]:
        return [oversight.Assisted(i, "h", "B", DURING + timedelta(minutes=m), "counted")
                for i, m in enumerate(minutes)]  # fmt: skip

    assert oversight.bursts(rows([0, 1, 2, 3, 4])) == []
    assert oversight.bursts(rows([0, 2, 4, 6, 8, 10.5])) == []
    [burst] = oversight.bursts(rows([0, 1, 2, 3, 4, 5, 6, 30]))
    assert burst.contribution_ids == (0, 1, 2, 3, 4, 5, 6)
