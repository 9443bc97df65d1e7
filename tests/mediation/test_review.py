"""The review queue through the real app: each kind of evidence, each role, claims, filters."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.app import create_app
from gateway.consultations import repository as consultations
from gateway.consultations.loader import parse_definition
from gateway.contributions.intake import EvidenceRef, IntakeResult
from gateway.runtime import Runtime
from gateway.staff.models import StaffRole
from gateway.store.models import (
    Answer,
    AnswerSource,
    AuditEvent,
    Channel,
    Contribution,
    ContributionStatus,
)
from tests.conftest import Clock
from tests.helpers import BUDGET, make_intake, make_participant, record
from tests.staff.conftest import csrf_token, make_account, sign_in

PARC_ANSWERS = {"priorite": "jeux", "frequentation": "yes", "satisfaction": 4}
PNG = b"\x89PNG\r\n\x1a\n" + b"crop" * 8


def make_unsure(
    runtime: Runtime,
    answers: dict[str, Any] | None = None,
    *,
    code: str = "BUDGET",
    channel: Channel = Channel.PAPER,
    source: AnswerSource = AnswerSource.OMR,
    confidence: float = 0.5,
    evidence: list[tuple[bytes, str, str]] = (),  # type: ignore[assignment]
    **extra: Any,
) -> IntakeResult:
    """A contribution a machine was unsure of, with evidence as (bytes, media type, role)."""
    refs = []
    for data, media_type, role in evidence:
        blob = runtime.evidence.put(data, media_type)
        question = None if role == "sms_transcript" else next(iter(answers or {"projets": 0}))
        refs.append(EvidenceRef(blob.sha256, media_type, blob.size, role, question))
    intake = make_intake(
        code, answers, channel=channel, source=source, confidence=confidence, evidence=refs, **extra
    )
    result = record(runtime, intake)
    assert result.status == ContributionStatus.REVIEW
    return result


def make_reviewed_budget(runtime: Runtime) -> str:
    """The budget vote, with a person deciding possible duplicates."""
    data = yaml.safe_load(BUDGET.read_text(encoding="utf-8"))
    data["code"], data["identity"]["on_duplicate"] = "BUDGETREV", "review"
    with runtime.sessions() as session, session.begin():
        consultations.save_definition(session, parse_definition(data, folder=BUDGET.parent))
    return "BUDGETREV"


def make_reviewer(runtime: Runtime, client: TestClient, login: str, role: StaffRole) -> None:
    make_account(runtime, login, role)
    assert sign_in(client, login).status_code == 303


def answer_key(runtime: Runtime, contribution_id: int) -> str:
    with runtime.sessions() as session:
        query = select(Answer.id).where(Answer.contribution_id == contribution_id)
        return f"a{session.scalars(query).first()}"


def decide(client: TestClient, key: str, action: str, **fields: Any) -> httpx.Response:
    token = csrf_token(client.get(f"/mediation/review/{key}"))
    return client.post(
        f"/mediation/review/{key}", data={"csrf_token": token, "action": action, **fields}
    )


def contribution(runtime: Runtime, contribution_id: int) -> Contribution:
    with runtime.sessions() as session:
        found = session.get_one(Contribution, contribution_id)
        found.answers  # noqa: B018  (loaded before the session closes)
        return found


def journal(runtime: Runtime, contribution_id: int) -> list[tuple[str, str]]:
    with runtime.sessions() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_id == str(contribution_id))
            .order_by(AuditEvent.id)
        )
        return [(event.action, event.actor) for event in events]


def test_paper_crop_is_shown_and_accepting_counts_the_answer(
    store: Runtime, client: TestClient
) -> None:
    unsure = make_unsure(store, {"projets": ["bancs"]}, evidence=[(PNG, "image/png", "crop")])
    make_reviewer(store, client, "alice", StaffRole.MEDIATEUR)
    key = answer_key(store, unsure.contribution_id)
    page = client.get(f"/mediation/review/{key}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    image = page.text.split('<img src="')[1].split('"')[0]
    served = client.get(image)
    assert served.content == PNG and served.headers["cache-control"] == "no-store"
    assert served.headers["content-type"] == "image/png"
    assert decide(client, key, "accept").status_code == 303
    counted = contribution(store, unsure.contribution_id)
    assert counted.status == ContributionStatus.COUNTED
    assert counted.answers[0].value == ["bancs"] and counted.answers[0].status == "valid"
    assert ("answer.accepted", "staff:alice") in journal(store, unsure.contribution_id)


def test_evidence_is_for_signed_in_staff_only(store: Runtime, client: TestClient) -> None:
    unsure = make_unsure(store, evidence=[(PNG, "image/png", "crop")])
    make_reviewer(store, client, "alice", StaffRole.OBSERVER)
    image = client.get(f"/mediation/review/{answer_key(store, unsure.contribution_id)}").text
    url = image.split('<img src="')[1].split('"')[0]
    client.cookies.clear()
    assert client.get(url).status_code == 303
    other = make_unsure(store, evidence=[(PNG + b"x", "image/png", "crop")])
    assert (
        client.get(
            url.replace(f"/{unsure.contribution_id}/", f"/{other.contribution_id}/")
        ).status_code
        == 303
    )


def test_a_correction_replaces_the_reading_and_is_journaled(
    store: Runtime, client: TestClient
) -> None:
    unsure = make_unsure(store, {"projets": ["bancs", "toilettes"]})
    make_reviewer(store, client, "alice", StaffRole.AGENT)
    key = answer_key(store, unsure.contribution_id)
    assert "checkbox" in client.get(f"/mediation/review/{key}").text
    response = decide(client, key, "correct", value=["jardin-partage", "bancs"])
    assert response.status_code == 303
    answer = contribution(store, unsure.contribution_id).answers[0]
    assert answer.value == ["jardin-partage", "bancs"] and answer.status == "valid"
    assert ("answer.corrected", "staff:alice") in journal(store, unsure.contribution_id)


def test_an_invalid_correction_is_refused_and_changes_nothing(
    store: Runtime, client: TestClient
) -> None:
    unsure = make_unsure(store)
    make_reviewer(store, client, "alice", StaffRole.AGENT)
    key = answer_key(store, unsure.contribution_id)
    refused = decide(client, key, "correct", value="no-such-project")
    assert refused.status_code == 409 and "refusée" in refused.text
    assert contribution(store, unsure.contribution_id).answers[0].status == "review"


def test_sms_text_is_shown_raw_and_a_rejection_sets_the_answer_aside(
    store: Runtime, client: TestClient
) -> None:
    transcript = json.dumps([{"in": "BUDGET"}, {"in": "les bancs je crois"}]).encode()
    unsure = make_unsure(
        store,
        channel=Channel.SMS,
        source=AnswerSource.SMS,
        confidence=0.3,
        evidence=[(transcript, "application/vnd.portevoix.sms-transcript+json", "sms_transcript")],
    )
    make_reviewer(store, client, "alice", StaffRole.MEDIATEUR)
    key = answer_key(store, unsure.contribution_id)
    assert "les bancs je crois" in client.get(f"/mediation/review/{key}").text
    assert decide(client, key, "reject").status_code == 303
    rejected = contribution(store, unsure.contribution_id)
    assert (
        rejected.answers[0].status == "rejected" and rejected.status == ContributionStatus.REJECTED
    )
    assert ("answer.rejected", "staff:alice") in journal(store, unsure.contribution_id)


def test_speech_shows_audio_and_word_confidences(store: Runtime, client: TestClient) -> None:
    heard = {
        "text": "les jeux",
        "confidence": 0.41,
        "engine": "test",
        "words": [
            {"text": "les", "start": 0, "end": 0.2, "confidence": 0.93},
            {"text": "jeux", "start": 0.2, "end": 0.6, "confidence": 0.37},
        ],
    }
    unsure = make_unsure(
        store,
        PARC_ANSWERS,
        code="PARC",
        channel=Channel.IVR,
        source=AnswerSource.SPEECH,
        confidence=0.41,
        evidence=[
            (b"RIFF....WAVE", "audio/wav", "recording"),
            (json.dumps(heard).encode(), "application/json", "transcript"),
        ],
    )
    make_reviewer(store, client, "alice", StaffRole.MEDIATEUR)
    page = client.get(f"/mediation/review/{answer_key(store, unsure.contribution_id)}").text
    assert "<audio controls" in page and "<td>jeux</td><td>0.37</td>" in page
    assert 'type="radio" name="value" value="jeux"' in page


def test_observer_reads_but_never_decides(store: Runtime, client: TestClient) -> None:
    unsure = make_unsure(store)
    make_reviewer(store, client, "olga", StaffRole.OBSERVER)
    key = answer_key(store, unsure.contribution_id)
    assert client.get("/mediation/review").status_code == 200
    page = client.get(f"/mediation/review/{key}")
    assert page.status_code == 200 and 'value="accept"' not in page.text
    token = csrf_token(client.get("/staff/"))
    forbidden = client.post(
        f"/mediation/review/{key}", data={"csrf_token": token, "action": "accept"}
    )
    assert forbidden.status_code == 403
    assert contribution(store, unsure.contribution_id).answers[0].status == "review"


def test_signed_out_is_sent_to_sign_in(store: Runtime, client: TestClient) -> None:
    response = client.get("/mediation/review")
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/sign-in")


def test_two_reviewers_never_decide_the_same_item(
    store: Runtime, client: TestClient, clock: Clock
) -> None:
    unsure = make_unsure(store)
    key = answer_key(store, unsure.contribution_id)
    make_reviewer(store, client, "alice", StaffRole.MEDIATEUR)
    alice_page = client.get(f"/mediation/review/{key}")
    with TestClient(create_app(runtime=store), follow_redirects=False) as bob:
        make_reviewer(store, bob, "bob", StaffRole.MEDIATEUR)
        bob_page = bob.get(f"/mediation/review/{key}")
        assert "alice" in bob_page.text and 'value="accept"' not in bob_page.text
        assert (
            bob.get("/mediation/review/next").headers["location"].startswith("/mediation/review?")
        )
        token = csrf_token(bob.get("/staff/"))
        taken = bob.post(f"/mediation/review/{key}", data={"csrf_token": token, "action": "reject"})
        assert taken.status_code == 409
        clock.advance(minutes=6)  # alice left: her claim lapsed
        assert decide(bob, key, "reject").status_code == 303
    late = client.post(
        f"/mediation/review/{key}", data={"csrf_token": csrf_token(alice_page), "action": "accept"}
    )
    assert late.status_code == 404
    assert contribution(store, unsure.contribution_id).answers[0].status == "rejected"


def test_queue_puts_lowest_confidence_first_and_filters(store: Runtime, client: TestClient) -> None:
    fair = make_unsure(store, confidence=0.6)
    faint = make_unsure(store, confidence=0.2)
    spoken = make_unsure(
        store,
        PARC_ANSWERS,
        code="PARC",
        channel=Channel.IVR,
        source=AnswerSource.SPEECH,
        confidence=0.4,
    )
    make_reviewer(store, client, "alice", StaffRole.AGENT)
    keys = [answer_key(store, r.contribution_id) for r in (faint, spoken, fair)]
    page = client.get("/mediation/review").text
    assert [page.index(f">{key}<") for key in keys] == sorted(
        page.index(f">{key}<") for key in keys
    )
    assert f">{keys[1]}<" not in client.get("/mediation/review?channel=paper").text
    assert f">{keys[0]}<" not in client.get("/mediation/review?reason=speech").text
    assert f">{keys[1]}<" in client.get("/mediation/review?consultation=PARC").text
    first = client.get("/mediation/review/next")
    assert first.headers["location"].startswith(f"/mediation/review/{keys[0]}")


def test_a_possible_duplicate_is_resolved_in_review(store: Runtime, client: TestClient) -> None:
    code, marie = make_reviewed_budget(store), make_participant("+33600000001")
    first = record(store, make_intake(code, participant=marie, channel=Channel.SMS))
    held = record(store, make_intake(code, participant=marie, channel=Channel.KIOSK))
    assert held.status == ContributionStatus.REVIEW
    make_reviewer(store, client, "alice", StaffRole.AGENT)
    key = f"c{held.contribution_id}"
    assert "duplicate" in client.get("/mediation/review?reason=duplicate").text
    assert decide(client, key, "reject").status_code == 303
    assert contribution(store, held.contribution_id).status == ContributionStatus.DUPLICATE
    assert contribution(store, first.contribution_id).status == ContributionStatus.COUNTED


@pytest.mark.parametrize("key", ["a0", "x1", "a99999", "c1'"])
def test_unknown_items_are_not_found(store: Runtime, client: TestClient, key: str) -> None:
    make_reviewer(store, client, "alice", StaffRole.AGENT)
    assert client.get(f"/mediation/review/{key}").status_code == 404


def test_undo_puts_ones_last_decision_back_while_not_yet_counted(
    store: Runtime, client: TestClient
) -> None:
    unsure = make_unsure(store, PARC_ANSWERS, code="PARC")
    make_reviewer(store, client, "alice", StaffRole.MEDIATEUR)
    key = answer_key(store, unsure.contribution_id)
    assert decide(client, key, "correct", value="arbres").status_code == 303
    token = csrf_token(client.get("/mediation/review"))
    undone = client.post("/mediation/review/undo", data={"csrf_token": token})
    assert undone.status_code == 303 and undone.headers["location"] == f"/mediation/review/{key}"
    answer = contribution(store, unsure.contribution_id).answers[0]
    assert answer.status == "review" and answer.value == "jeux"
    assert ("answer.reopened", "staff:alice") in journal(store, unsure.contribution_id)
    again = client.post("/mediation/review/undo", data={"csrf_token": token})
    assert again.status_code == 409  # an undo is not undone


def test_undo_refuses_once_the_contribution_is_counted(store: Runtime, client: TestClient) -> None:
    unsure = make_unsure(store)
    make_reviewer(store, client, "alice", StaffRole.AGENT)
    assert decide(client, answer_key(store, unsure.contribution_id), "accept").status_code == 303
    token = csrf_token(client.get("/mediation/review"))
    assert client.post("/mediation/review/undo", data={"csrf_token": token}).status_code == 409
    assert contribution(store, unsure.contribution_id).status == ContributionStatus.COUNTED


def test_undo_is_only_ones_own(store: Runtime, client: TestClient) -> None:
    unsure = make_unsure(store, PARC_ANSWERS, code="PARC")
    make_reviewer(store, client, "alice", StaffRole.AGENT)
    assert decide(client, answer_key(store, unsure.contribution_id), "reject").status_code == 303
    with TestClient(create_app(runtime=store), follow_redirects=False) as bob:
        make_reviewer(store, bob, "bob", StaffRole.AGENT)
        token = csrf_token(bob.get("/mediation/review"))
        assert bob.post("/mediation/review/undo", data={"csrf_token": token}).status_code == 409


def test_double_review_counts_a_mark_once_two_reviewers_agree(
    double_review: Runtime, client: TestClient
) -> None:
    unsure = make_unsure(double_review)
    key = answer_key(double_review, unsure.contribution_id)
    make_reviewer(double_review, client, "alice", StaffRole.MEDIATEUR)
    assert decide(client, key, "correct", value=["bancs", "toilettes"]).status_code == 303
    assert contribution(double_review, unsure.contribution_id).status == ContributionStatus.REVIEW
    assert decide(client, key, "correct", value=["bancs", "toilettes"]).status_code == 409
    assert (
        not client.get("/mediation/review/next")
        .headers["location"]
        .startswith(f"/mediation/review/{key}")
    )
    with TestClient(create_app(runtime=double_review), follow_redirects=False) as bob:
        make_reviewer(double_review, bob, "bob", StaffRole.MEDIATEUR)
        assert decide(bob, key, "correct", value=["toilettes", "bancs"]).status_code == 303
    counted = contribution(double_review, unsure.contribution_id)
    assert counted.status == ContributionStatus.COUNTED
    assert sorted(counted.answers[0].value) == ["bancs", "toilettes"]
    actions = journal(double_review, unsure.contribution_id)
    assert ("answer.corrected", "staff:bob") in actions


def test_double_review_disagreement_goes_to_an_agent(
    double_review: Runtime, client: TestClient
) -> None:
    unsure = make_unsure(double_review)
    key = answer_key(double_review, unsure.contribution_id)
    make_reviewer(double_review, client, "alice", StaffRole.MEDIATEUR)
    assert decide(client, key, "accept").status_code == 303
    with TestClient(create_app(runtime=double_review), follow_redirects=False) as bob:
        make_reviewer(double_review, bob, "bob", StaffRole.MEDIATEUR)
        assert decide(bob, key, "reject").status_code == 303
        assert f">{key}<" in bob.get("/mediation/review?reason=disagreement").text
        assert decide(bob, key, "reject").status_code in (403, 409)
    assert contribution(double_review, unsure.contribution_id).answers[0].status == "review"
    with TestClient(create_app(runtime=double_review), follow_redirects=False) as agent:
        make_reviewer(double_review, agent, "carla", StaffRole.AGENT)
        assert (
            agent.get("/mediation/review/next")
            .headers["location"]
            .startswith(f"/mediation/review/{key}")
        )
        assert decide(agent, key, "reject").status_code == 303
    assert contribution(double_review, unsure.contribution_id).answers[0].status == "rejected"
    with double_review.sessions() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"review.first", "review.disputed", "answer.rejected"} <= actions


def make_idea(runtime: Runtime, idea: str) -> IntakeResult:
    return record(runtime, make_intake("PARC", {**PARC_ANSWERS, "idee": idea}))


def text_key(runtime: Runtime, contribution_id: int) -> str:
    with runtime.sessions() as session:
        query = select(Answer.id).where(
            Answer.contribution_id == contribution_id, Answer.question_id == "idee"
        )
        return f"m{session.scalars(query).one()}"


def test_free_text_with_personal_data_is_moderated_by_an_agent(
    store: Runtime, client: TestClient
) -> None:
    idea = make_idea(store, "Des bancs ! je m'appelle Marie Dupont, 06 12 34 56 78")
    plain = make_idea(store, "Des bancs à l'ombre")
    key = text_key(store, idea.contribution_id)
    make_reviewer(store, client, "carla", StaffRole.AGENT)
    listed = client.get("/mediation/review?reason=personal_data").text
    assert f">{key}<" in listed and f">{text_key(store, plain.contribution_id)}<" not in listed
    page = client.get(f"/mediation/review/{key}").text
    assert "je m&#39;appelle […], […]" in page and "06 12 34 56 78" in page
    assert decide(client, key, "accept").status_code == 303
    with store.sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "moderation.masked")
        ).one()
    assert event.actor == "staff:carla" and "06 12" not in json.dumps(event.payload)
    assert f">{key}<" not in client.get("/mediation/review").text
    answer = [
        a for a in contribution(store, idea.contribution_id).answers if a.question_id == "idee"
    ]
    assert answer[0].value == "Des bancs ! je m'appelle Marie Dupont, 06 12 34 56 78"


def test_a_mediator_neither_sees_the_original_nor_moderates(
    store: Runtime, client: TestClient
) -> None:
    key = text_key(store, make_idea(store, "appelez le 06 12 34 56 78").contribution_id)
    make_reviewer(store, client, "mina", StaffRole.MEDIATEUR)
    page = client.get(f"/mediation/review/{key}")
    assert page.status_code == 200 and "06 12 34 56 78" not in page.text
    assert decide(client, key, "accept").status_code == 403
