"""The one door, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import yaml
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from gateway import audit
from gateway.consultations import repository as consultations
from gateway.consultations.loader import parse_definition
from gateway.contributions.door import RECEIPT_ALPHABET, record_intake
from gateway.contributions.intake import (
    DoorPolicy,
    Intake,
    IntakeConflict,
    IntakeRejected,
    fingerprint,
)
from gateway.errors import NotFound
from gateway.results.tally import tally
from gateway.runtime import Runtime
from gateway.store.models import (
    AnswerSource,
    AuditEvent,
    Channel,
    Contribution,
    ContributionStatus,
    Participant,
    Participation,
)
from tests.helpers import BUDGET, load_examples, make_intake, make_participant, record


@pytest.fixture
def store(runtime: Runtime) -> Runtime:
    load_examples(runtime)
    return runtime


def _count(runtime: Runtime, status: str | None = None) -> int:
    with runtime.sessions() as session:
        query = select(func.count(Contribution.id))
        if status:
            query = query.where(Contribution.status == status)
        return session.scalar(query) or 0


def test_records_counted_contribution_with_readable_receipt(store: Runtime) -> None:
    result = record(store, make_intake(answers={"projets": ["eclairage", "bancs"]}))
    assert result.status == ContributionStatus.COUNTED and not result.replayed
    code = result.receipt_code.replace("-", "")
    assert len(code) == 8 and set(code) <= set(RECEIPT_ALPHABET)
    assert not set(code) & set("0O1IL")
    with store.sessions() as session:
        contribution = session.get_one(Contribution, result.contribution_id)
        # Choices are stored in the definition's order, whatever order they came in.
        assert contribution.answers[0].value == ["bancs", "eclairage"]


def test_same_intake_twice_is_recorded_once(store: Runtime) -> None:
    intake = make_intake(external_id="SM123")
    first = record(store, intake)
    second = record(store, intake)
    assert second.replayed and second.contribution_id == first.contribution_id
    assert second.receipt_code == first.receipt_code
    assert _count(store) == 1


def _fingerprinted(intake: Intake) -> Intake:
    return replace(intake, fingerprint=fingerprint(intake))


def test_an_id_used_for_another_consultation_is_a_conflict(store: Runtime) -> None:
    record(store, make_intake("BUDGET", external_id="SM9", channel=Channel.SMS))
    with pytest.raises(IntakeConflict, match="'SM9' was already used for another consultation"):
        record(store, make_intake("PARC", PARC_ANSWERS, external_id="SM9", channel=Channel.SMS))
    assert _count(store) == 1


def test_a_fingerprinted_id_with_another_body_is_a_conflict(store: Runtime) -> None:
    first = record(store, _fingerprinted(make_intake(external_id="c:1")))
    other = _fingerprinted(make_intake(answers={"projets": ["toilettes"]}, external_id="c:1"))
    with pytest.raises(IntakeConflict, match="'c:1' was already used for a different contribution"):
        record(store, other)
    same = record(store, _fingerprinted(make_intake(external_id="c:1")))
    assert same.replayed and same.receipt_code == first.receipt_code
    with store.sessions() as session:
        [answer] = session.get_one(Contribution, first.contribution_id).answers
    assert answer.value == ["bancs"] and _count(store) == 1


@pytest.mark.parametrize(
    ("code", "answers", "problem"),
    [
        ("BUDGET", {"projets": ["piscine"]}, "projets: unknown option 'piscine'"),
        (
            "BUDGET",
            {"projets": ["bancs", "jardin-partage", "toilettes", "eclairage"]},
            "projets: 4 choices, at most 3 allowed",
        ),
        ("BUDGET", {"projets": ["bancs", "bancs"]}, "projets: an option is chosen twice"),
        ("BUDGET", {}, "projets: an answer is required"),
        ("BUDGET", {"projets": ["bancs"], "couleur": "rouge"}, "couleur: unknown question"),
        (
            "PARC",
            {"frequentation": "yes", "priorite": "jeux", "satisfaction": 6},
            "satisfaction: 6 is out of range 1–5",
        ),
        (
            "PARC",
            {"frequentation": "peut-être", "priorite": "jeux", "satisfaction": 3},
            "frequentation: unknown option 'peut-être'",
        ),
        (
            "PARC",
            {"frequentation": "yes", "priorite": "jeux", "satisfaction": 3, "visites": 2.5},
            "visites: 2.5 is not a whole number",
        ),
        (
            "PARC",
            {"frequentation": "yes", "priorite": "jeux", "satisfaction": 3, "idee": "x" * 501},
            "idee: 501 characters, at most 500",
        ),
    ],
)
def test_invalid_certain_answer_is_rejected_and_nothing_stored(
    store: Runtime, code: str, answers: dict[str, object], problem: str
) -> None:
    with pytest.raises(IntakeRejected) as caught:
        record(store, make_intake(code, answers))
    assert problem in caught.value.problems
    assert _count(store) == 0


def test_unknown_consultation(store: Runtime) -> None:
    with pytest.raises(NotFound, match="no consultation with code 'PISCINE'"):
        record(store, make_intake("PISCINE"))


def test_closed_consultation(store: Runtime) -> None:
    late = datetime(2027, 2, 1, tzinfo=UTC)
    with pytest.raises(IntakeRejected, match="BUDGET is closed"):
        record(store, make_intake(received_at=late))


def test_a_replay_once_the_consultation_closed_gets_its_receipt_again(store: Runtime) -> None:
    first = record(store, make_intake(external_id="SM77", channel=Channel.SMS))
    late = make_intake(
        external_id="SM77", channel=Channel.SMS, received_at=datetime(2027, 2, 1, tzinfo=UTC)
    )
    again = record(store, late)
    assert again.replayed and again.receipt_code == first.receipt_code


def test_a_replay_with_answers_now_refused_is_a_conflict(store: Runtime) -> None:
    record(store, _fingerprinted(make_intake(external_id="c:2")))
    refused = _fingerprinted(make_intake(answers={"projets": ["piscine"]}, external_id="c:2"))
    with pytest.raises(IntakeConflict, match="'c:2' was already used for a different contribution"):
        record(store, refused)


def test_a_conflicting_intake_leaves_no_participant_behind(store: Runtime) -> None:
    record(store, _fingerprinted(make_intake(external_id="c:3")))
    stranger = make_participant("+33600000003")
    other = make_intake(answers={"projets": ["toilettes"]}, external_id="c:3", participant=stranger)
    # A channel may commit after a conflict (the kiosk shows a notice): nothing of it stays.
    with store.sessions() as session:
        with pytest.raises(IntakeConflict):
            record_intake(session, _fingerprinted(other), DoorPolicy())
        session.commit()
    with store.sessions() as session:
        assert session.scalar(select(func.count(Participant.id))) == 0


def test_the_journal_vouches_for_each_kind_of_answer(store: Runtime) -> None:
    answers = {
        "frequentation": "yes",
        "priorite": "jeux",
        "satisfaction": 4,
        "visites": 3.0,
        "idee": "Des bancs à l'ombre, « vite »",
    }
    record(store, make_intake("PARC", answers, confidence=0.8765432, source=AnswerSource.SPEECH))
    record(
        store,
        make_intake(
            answers={"projets": ["toilettes", "bancs"]},
            participant=make_participant("+33600000004"),
        ),
    )
    with store.sessions() as session:
        report = audit.verify(session)
    assert report.ok and report.contributions == 2 and not report.differ.count


def test_uncertain_invalid_answer_goes_to_review(store: Runtime) -> None:
    overvote = {"projets": ["bancs", "jardin-partage", "toilettes", "eclairage"]}
    result = record(
        store,
        make_intake(
            answers=overvote, channel=Channel.PAPER, source=AnswerSource.OMR, confidence=0.95
        ),
    )
    assert result.status == ContributionStatus.REVIEW
    with store.sessions() as session:
        answer = session.get_one(Contribution, result.contribution_id).answers[0]
        assert answer.status == "review" and "at most 3" in (answer.status_reason or "")


def test_low_confidence_goes_to_review_and_is_counted_apart(store: Runtime) -> None:
    record(store, make_intake(answers={"projets": ["bancs"]}))
    unsure = make_intake(
        answers={"projets": ["bancs"]},
        channel=Channel.IVR,
        source=AnswerSource.SPEECH,
        confidence=0.5,
    )
    assert record(store, unsure).status == ContributionStatus.REVIEW
    with store.sessions() as session:
        result = tally(session, "BUDGET")
    projets = result.questions[0]
    assert projets.counts["bancs"] == 1 and projets.awaiting_review == 1
    assert result.contributions == {"counted": 1, "review": 1}


def test_one_per_person_first_wins(store: Runtime) -> None:
    person = make_participant("+33612345678")
    first = record(store, make_intake(answers={"projets": ["bancs"]}, participant=person))
    second = record(store, make_intake(answers={"projets": ["toilettes"]}, participant=person))
    assert first.status == ContributionStatus.COUNTED
    assert second.status == ContributionStatus.DUPLICATE
    with store.sessions() as session:
        counts = tally(session, "BUDGET").questions[0].counts
    assert counts["bancs"] == 1 and counts["toilettes"] == 0


def test_one_per_person_last_wins(store: Runtime) -> None:
    person = make_participant("+33612345678")
    base = {"frequentation": "yes", "satisfaction": 4}
    first = record(store, make_intake("PARC", {**base, "priorite": "jeux"}, participant=person))
    second = record(store, make_intake("PARC", {**base, "priorite": "arbres"}, participant=person))
    assert second.status == ContributionStatus.COUNTED
    with store.sessions() as session:
        assert session.get_one(Contribution, first.contribution_id).status == "superseded"
        counts = tally(session, "PARC").questions[1].counts
    assert counts == {"arbres": 1, "jeux": 0, "bancs": 0, "eclairage": 0}


def test_a_key_the_policy_does_not_name_goes_to_review(store: Runtime) -> None:
    # PARC identifies people by phone, online account and kiosk ticket, not e-mail:
    # an e-mail address cannot prove one person, one voice there.
    base = {"frequentation": "yes", "priorite": "jeux", "satisfaction": 4}
    email = make_participant("alice@example.org", kind="email")
    results = [record(store, make_intake("PARC", base, participant=email)) for _ in range(3)]
    assert {r.status for r in results} == {ContributionStatus.REVIEW}
    assert "identity key 'email'" in (results[0].reason or "")
    assert _count(store, "counted") == 0


def test_every_write_leaves_an_intact_audit_chain(store: Runtime) -> None:
    for _ in range(3):
        record(store, make_intake())
    with store.sessions() as session:
        report = audit.verify(session)
        assert report.ok and report.events == 5  # 2 definitions + 3 contributions
        actions = session.scalars(select(AuditEvent.action)).all()
    assert actions.count("contribution.recorded") == 3


def test_audit_journal_refuses_updates(store: Runtime) -> None:
    with store.sessions() as session, pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("UPDATE audit_event SET actor = 'mallory'"))
        session.flush()


def test_tampering_is_detected(store: Runtime) -> None:
    record(store, make_intake())
    with store.sessions() as session, session.begin():
        # Someone with database access bypasses the guard to rewrite history.
        if session.get_bind().dialect.name == "sqlite":
            session.execute(text("DROP TRIGGER audit_event_no_update"))
        else:
            session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        session.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE id = 2"))
        if session.get_bind().dialect.name == "postgresql":
            # The PostgreSQL test database is shared: put the guard back for later tests.
            session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
    with store.sessions() as session:
        report = audit.verify(session)
    assert not report.ok and report.first_bad_id == 2 and report.events == 1


PARC_ANSWERS = {"frequentation": "yes", "priorite": "bancs", "satisfaction": 3}


@pytest.mark.parametrize(
    ("code", "answers", "losers"),
    [
        ("BUDGET", {"projets": ["bancs"]}, "duplicate"),  # first wins
        ("PARC", PARC_ANSWERS, "superseded"),  # last wins
    ],
)
def test_twenty_threads_one_person_one_counted_contribution(
    store: Runtime, code: str, answers: dict[str, object], losers: str
) -> None:
    person = make_participant("+33699999999")
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def vote(n: int) -> None:
        barrier.wait()
        intake = make_intake(
            code, answers, participant=person, external_id=f"race-{n}", channel=Channel.SMS
        )
        try:
            record(store, intake)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=vote, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _count(store) == 20
    assert _count(store, "counted") == 1
    assert _count(store, losers) == 19
    with store.sessions() as session:
        # Each with the one participant, however the threads' inserts interleaved.
        owners = session.scalars(select(Contribution.participant_id).distinct()).all()
        assert owners == [session.scalars(select(Participant.id)).one()]
        assert tally(session, code).questions[0].answered == 1
        assert audit.verify(session).ok


def test_a_receipt_code_drawn_twice_is_drawn_again(
    store: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = record(store, make_intake(external_id="first"))
    # The next draw repeats a code in use, once: the new person is written once, with
    # the contribution that finally gets a code of its own.
    draws = iter([first.receipt_code, "NEWCODE7"])
    monkeypatch.setattr("gateway.contributions.door.new_receipt_code", lambda: next(draws))
    person = make_participant("+33677777777")
    second = record(store, make_intake(external_id="second", participant=person))
    assert second.receipt_code == "NEWCODE7" and second.status == ContributionStatus.COUNTED
    with store.sessions() as session:
        participants = session.scalars(select(Participant.id)).all()
        assert len(participants) == 1
        assert session.get(Contribution, second.contribution_id).participant_id == participants[0]
        assert session.scalars(select(Participation.contribution_id)).all() == [
            second.contribution_id
        ]


def test_twenty_threads_same_intake_one_row(store: Runtime) -> None:
    barrier = threading.Barrier(20)
    receipts: list[str] = []

    def send() -> None:
        barrier.wait()
        receipts.append(
            record(store, make_intake(external_id="SAME", channel=Channel.SMS)).receipt_code
        )

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(receipts) == 20 and len(set(receipts)) == 1
    assert _count(store) == 1


def test_twenty_threads_one_fingerprinted_id_two_bodies(store: Runtime) -> None:
    bodies = [{"projets": ["bancs"]}, {"projets": ["toilettes"]}]
    barrier = threading.Barrier(20)
    outcomes: list[tuple[int, str]] = []

    def send(n: int) -> None:
        intake = _fingerprinted(make_intake(answers=bodies[n % 2], external_id="api:SAME"))
        barrier.wait()
        try:
            outcomes.append((n % 2, record(store, intake).receipt_code))
        except IntakeConflict:
            outcomes.append((n % 2, "conflict"))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _count(store) == 1
    with store.sessions() as session:
        [stored] = session.scalars(select(Contribution)).all()
        winner = bodies.index({"projets": stored.answers[0].value})
    # The body that got in gets its receipt ten times; the other one, ten refusals.
    assert sorted(outcomes) == sorted(
        [(winner, stored.receipt_code)] * 10 + [(1 - winner, "conflict")] * 10
    )


def test_one_per_person_review_rule_keeps_both_for_a_mediateur(store: Runtime) -> None:
    data = yaml.safe_load(BUDGET.read_text(encoding="utf-8"))
    data["code"] = "BUDGETREV"
    data["identity"]["on_duplicate"] = "review"
    with store.sessions() as session, session.begin():
        consultations.save_definition(session, parse_definition(data, folder=BUDGET.parent))
    person = make_participant("+33612345678")
    first = record(store, make_intake("BUDGETREV", participant=person))
    second = record(store, make_intake("BUDGETREV", participant=person))
    assert first.status == ContributionStatus.COUNTED
    assert second.status == ContributionStatus.REVIEW
    assert f"possible duplicate of contribution {first.contribution_id}" in (second.reason or "")
    with store.sessions() as session:
        result = tally(session, "BUDGETREV")
    assert result.questions[0].counts["bancs"] == 1 and result.questions[0].awaiting_review == 1


def test_a_definition_threshold_of_zero_is_its_own_not_the_setting(store: Runtime) -> None:
    data = yaml.safe_load(BUDGET.read_text(encoding="utf-8"))
    data["code"] = "BUDGETZERO"
    data["review_confidence_threshold"] = 0
    with store.sessions() as session, session.begin():
        consultations.save_definition(session, parse_definition(data, folder=BUDGET.parent))
    unsure = make_intake("BUDGETZERO", source=AnswerSource.OMR, confidence=0.5)
    assert record(store, unsure).status == ContributionStatus.COUNTED
