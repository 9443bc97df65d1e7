"""Undo of one's own last decision: contributions held as a whole and first reviews of votes."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.app import create_app
from gateway.contributions import decisions
from gateway.contributions.intake import IntakeResult
from gateway.results.tally import tally
from gateway.runtime import Runtime
from gateway.staff.models import StaffRole
from gateway.store.models import AuditEvent, Channel, ContributionStatus
from mediation.models import ReviewVote
from tests.helpers import make_intake, make_participant, record
from tests.mediation.test_review import (
    answer_key,
    contribution,
    decide,
    journal,
    make_reviewed_budget,
    make_reviewer,
    make_unsure,
)
from tests.staff.conftest import csrf_token


def make_held(runtime: Runtime) -> tuple[IntakeResult, IntakeResult]:
    """Two contributions of one person; the second held for a person as a possible duplicate."""
    code, marie = make_reviewed_budget(runtime), make_participant("+33600000001")
    first = record(runtime, make_intake(code, participant=marie, channel=Channel.SMS))
    held = record(runtime, make_intake(code, participant=marie, channel=Channel.KIOSK))
    assert held.status == ContributionStatus.REVIEW
    return first, held


def undo(client: TestClient) -> httpx.Response:
    token = csrf_token(client.get("/mediation/review"))
    return client.post("/mediation/review/undo", data={"csrf_token": token})


def test_a_duplicate_set_aside_goes_back_to_review_as_it_waited(
    store: Runtime, client: TestClient
) -> None:
    first, held = make_held(store)
    waited = contribution(store, held.contribution_id).status_reason
    make_reviewer(store, client, "alice", StaffRole.AGENT)
    key = f"c{held.contribution_id}"
    assert decide(client, key, "reject").status_code == 303
    assert contribution(store, held.contribution_id).status == ContributionStatus.DUPLICATE
    undone = undo(client)
    assert undone.status_code == 303 and undone.headers["location"] == f"/mediation/review/{key}"
    reopened = contribution(store, held.contribution_id)
    assert (reopened.status, reopened.status_reason) == (ContributionStatus.REVIEW, waited)
    assert ("contribution.reopened", "staff:alice") in journal(store, held.contribution_id)
    with store.sessions() as session:  # decided no longer, in the results' method
        assert tally(session, "BUDGETREV").method.reviewed == {}
    assert f">{key}<" in client.get("/mediation/review?reason=duplicate").text
    assert undo(client).status_code == 409  # an undo is not undone
    assert decide(client, key, "accept").status_code == 409  # the first one still counts
    assert contribution(store, first.contribution_id).status == ContributionStatus.COUNTED


def test_a_contribution_counted_by_a_decision_stays_counted(
    store: Runtime, client: TestClient
) -> None:
    _first, held = make_held(store)
    make_reviewer(store, client, "alice", StaffRole.AGENT)
    with store.sessions() as session, session.begin():
        decisions.decide_status(session, _first.contribution_id, ContributionStatus.REJECTED,
                                actor="staff:carla", reason="sent by mistake")  # fmt: skip
    assert decide(client, f"c{held.contribution_id}", "accept").status_code == 303
    assert contribution(store, held.contribution_id).status == ContributionStatus.COUNTED
    refused = undo(client)
    assert refused.status_code == 409 and "stays counted" in refused.text
    assert contribution(store, held.contribution_id).status == ContributionStatus.COUNTED


def test_no_undo_once_someone_else_decided_after(store: Runtime, client: TestClient) -> None:
    _first, held = make_held(store)
    make_reviewer(store, client, "alice", StaffRole.AGENT)
    assert decide(client, f"c{held.contribution_id}", "reject").status_code == 303
    with store.sessions() as session, session.begin():
        for status in (ContributionStatus.REVIEW, ContributionStatus.REJECTED):
            decisions.decide_status(session, held.contribution_id, status, actor="staff:carla",
                                    reason="checked again")  # fmt: skip
    refused = undo(client)
    assert refused.status_code == 409 and "someone else" in refused.text
    assert contribution(store, held.contribution_id).status_reason == "checked again"


def test_a_first_review_is_withdrawn_until_a_second_reviewer_decides(
    double_review: Runtime, client: TestClient
) -> None:
    unsure = make_unsure(double_review)
    key = answer_key(double_review, unsure.contribution_id)
    make_reviewer(double_review, client, "alice", StaffRole.MEDIATEUR)
    assert decide(client, key, "accept").status_code == 303
    undone = undo(client)
    assert undone.status_code == 303 and undone.headers["location"] == f"/mediation/review/{key}"
    with double_review.sessions() as session:
        assert session.scalars(select(ReviewVote)).all() == []
        withdrawn = session.scalar(select(AuditEvent).where(AuditEvent.subject_id == key)
                                   .order_by(AuditEvent.id.desc()))  # fmt: skip
    assert withdrawn is not None and withdrawn.action == "review.withdrawn"
    # Her review withdrawn, she may review the item again; a second reviewer then settles it.
    assert decide(client, key, "reject").status_code == 303
    with TestClient(create_app(runtime=double_review), follow_redirects=False) as bob:
        make_reviewer(double_review, bob, "bob", StaffRole.MEDIATEUR)
        assert decide(bob, key, "reject").status_code == 303
    assert contribution(double_review, unsure.contribution_id).answers[0].status == "rejected"
    refused = undo(client)
    assert refused.status_code == 409 and "settled" in refused.text


def test_a_first_review_disputed_by_another_is_not_withdrawn(
    double_review: Runtime, client: TestClient
) -> None:
    unsure = make_unsure(double_review)
    key = answer_key(double_review, unsure.contribution_id)
    make_reviewer(double_review, client, "alice", StaffRole.MEDIATEUR)
    assert decide(client, key, "accept").status_code == 303
    with TestClient(create_app(runtime=double_review), follow_redirects=False) as bob:
        make_reviewer(double_review, bob, "bob", StaffRole.MEDIATEUR)
        assert decide(bob, key, "reject").status_code == 303
        assert undo(bob).status_code == 409  # a disagreement is the agent's to settle
    refused = undo(client)
    assert refused.status_code == 409 and "an agent decides" in refused.text
    with double_review.sessions() as session:
        assert len(session.scalars(select(ReviewVote)).all()) == 2
