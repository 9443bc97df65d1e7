"""Decisions mediation takes: each changes the store as said, is journaled, and verifies."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from gateway import audit
from gateway.consultations import repository as consultations
from gateway.consultations.loader import parse_definition
from gateway.contributions import decisions
from gateway.contributions.decisions import DecisionRefused
from gateway.contributions.intake import IntakeResult
from gateway.errors import NotFound
from gateway.results.tally import tally
from gateway.runtime import Runtime
from gateway.store.models import (
    Answer,
    AnswerSource,
    AuditEvent,
    Channel,
    Contribution,
    ContributionStatus,
    Participation,
)
from tests.helpers import BUDGET, load_examples, make_intake, make_participant, record

MARIE = "staff:marie"
PARC_ANSWERS = {"frequentation": "yes", "priorite": "jeux", "satisfaction": 4}
OVERVOTE = ["bancs", "jardin-partage", "toilettes", "eclairage"]


@pytest.fixture
def store(runtime: Runtime) -> Runtime:
    load_examples(runtime)
    return runtime


def make_unsure(
    runtime: Runtime, code: str = "BUDGET", answers: dict[str, Any] | None = None, **extra: Any
) -> IntakeResult:
    """A contribution read by a machine, every answer in review."""
    intake = make_intake(
        code, answers, channel=Channel.PAPER, source=AnswerSource.OMR, confidence=0.5, **extra
    )
    result = record(runtime, intake)
    assert result.status == ContributionStatus.REVIEW
    return result


def _decide(runtime: Runtime, decision: Any, *args: Any, **kwargs: Any) -> Any:
    with runtime.sessions() as session, session.begin():
        return decision(session, *args, actor=MARIE, **kwargs)


def _answers(runtime: Runtime, contribution_id: int) -> list[Answer]:
    with runtime.sessions() as session:
        return list(session.get_one(Contribution, contribution_id).answers)


def _contribution(runtime: Runtime, contribution_id: int) -> Contribution:
    with runtime.sessions() as session:
        return session.get_one(Contribution, contribution_id)


def _events(runtime: Runtime, after: int = 0) -> list[AuditEvent]:
    with runtime.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.id > after)))


def _last_event_id(runtime: Runtime) -> int:
    return max((event.id for event in _events(runtime)), default=0)


def _assert_verified(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        report = audit.verify(session)
    assert report.ok, report.problems


def test_accepting_the_last_answer_counts_the_contribution(store: Runtime) -> None:
    unsure = make_unsure(store)
    [answer] = _answers(store, unsure.contribution_id)
    before = _last_event_id(store)
    _decide(store, decisions.accept_answer, answer.id, reason="the mark is clear on the scan")
    [accepted] = _answers(store, unsure.contribution_id)
    assert (accepted.status, accepted.value) == ("valid", ["bancs"])
    assert _contribution(store, unsure.contribution_id).status == ContributionStatus.COUNTED
    events = _events(store, before)
    assert [(e.action, e.actor) for e in events] == [
        ("answer.accepted", MARIE),
        ("contribution.status_changed", MARIE),
    ]
    assert events[0].payload["reason"] == "the mark is clear on the scan"
    assert events[1].payload["status"] == ContributionStatus.COUNTED
    _assert_verified(store)
    with store.sessions() as session:
        assert tally(session, "BUDGET").questions[0].counts["bancs"] == 1


def test_a_reading_that_is_not_a_valid_answer_cannot_be_accepted(store: Runtime) -> None:
    unsure = make_unsure(store, answers={"projets": OVERVOTE})
    [answer] = _answers(store, unsure.contribution_id)
    before = _last_event_id(store)
    with pytest.raises(DecisionRefused, match="the reading is not a valid answer: 4 choices"):
        _decide(store, decisions.accept_answer, answer.id, reason="looks fine")
    assert _answers(store, unsure.contribution_id)[0].status == "review"
    assert _events(store, before) == []


def test_a_correction_is_checked_normalised_and_keeps_the_raw_input(store: Runtime) -> None:
    unsure = make_unsure(store, answers={"projets": OVERVOTE})
    [answer] = _answers(store, unsure.contribution_id)
    before = _last_event_id(store)
    _decide(
        store,
        decisions.correct_answer,
        answer.id,
        ["toilettes", "bancs"],
        reason="two marks are crossed out",
    )
    [corrected] = _answers(store, unsure.contribution_id)
    assert corrected.value == ["bancs", "toilettes"] and corrected.status == "valid"
    assert corrected.raw_input == answer.raw_input == str(OVERVOTE)
    decided = _events(store, before)[0]
    assert decided.action == "answer.corrected"
    assert (decided.payload["from"], decided.payload["to"]) == (OVERVOTE, ["bancs", "toilettes"])
    assert _contribution(store, unsure.contribution_id).status == ContributionStatus.COUNTED
    _assert_verified(store)


def test_a_correction_keeps_the_machine_reading_when_there_was_no_raw_input(
    store: Runtime,
) -> None:
    intake = make_intake(channel=Channel.PAPER, source=AnswerSource.OMR, confidence=0.5)
    intake = replace(intake, answers=[replace(a, raw=None) for a in intake.answers])
    [answer] = _answers(store, record(store, intake).contribution_id)
    _decide(store, decisions.correct_answer, answer.id, ["toilettes"], reason="misread")
    [corrected] = _answers(store, answer.contribution_id)
    assert corrected.raw_input == '["bancs"]' and corrected.value == ["toilettes"]
    _assert_verified(store)


def test_an_invalid_correction_changes_nothing(store: Runtime) -> None:
    unsure = make_unsure(store)
    [answer] = _answers(store, unsure.contribution_id)
    with pytest.raises(DecisionRefused, match="unknown option 'piscine'"):
        _decide(store, decisions.correct_answer, answer.id, ["piscine"], reason="misread")
    assert _answers(store, unsure.contribution_id)[0].value == ["bancs"]


def test_the_contribution_waits_for_its_last_answer_then_counts(store: Runtime) -> None:
    unsure = make_unsure(store, "PARC", PARC_ANSWERS)
    first, *others = _answers(store, unsure.contribution_id)
    _decide(store, decisions.reject_answer, first.id, reason="two boxes ticked")
    assert _contribution(store, unsure.contribution_id).status == ContributionStatus.REVIEW
    for answer in others:
        _decide(store, decisions.accept_answer, answer.id, reason="clear")
    contribution = _contribution(store, unsure.contribution_id)
    assert (contribution.status, contribution.status_reason) == ("counted", "answers reviewed")
    assert [a.status for a in _answers(store, unsure.contribution_id)] == [
        "rejected",
        "valid",
        "valid",
    ]
    _assert_verified(store)
    with store.sessions() as session:
        questions = tally(session, "PARC").questions
    assert questions[0].answered == 0 and questions[1].counts["jeux"] == 1


def test_rejecting_every_answer_rejects_the_contribution(store: Runtime) -> None:
    unsure = make_unsure(store)
    [answer] = _answers(store, unsure.contribution_id)
    _decide(store, decisions.reject_answer, answer.id, reason="the page is torn")
    contribution = _contribution(store, unsure.contribution_id)
    assert (contribution.status, contribution.status_reason) == (
        "rejected",
        "no answer could be read",
    )
    _assert_verified(store)


def test_decisions_on_answers_need_an_answer_in_review_and_a_reason(store: Runtime) -> None:
    counted = record(store, make_intake())
    [valid] = _answers(store, counted.contribution_id)
    with pytest.raises(DecisionRefused, match="is valid, not in review"):
        _decide(store, decisions.reject_answer, valid.id, reason="changed my mind")
    [unsure] = _answers(store, make_unsure(store).contribution_id)
    with pytest.raises(DecisionRefused, match="needs a reason"):
        _decide(store, decisions.accept_answer, unsure.id, reason="  ")
    with pytest.raises(NotFound, match="no answer 999999"):
        _decide(store, decisions.accept_answer, 999_999, reason="clear")


def test_two_mediateurs_deciding_one_contribution_at_once_settle_it(store: Runtime) -> None:
    unsure = make_unsure(store, "PARC", PARC_ANSWERS)
    answers = _answers(store, unsure.contribution_id)
    barrier = threading.Barrier(len(answers))
    errors: list[BaseException] = []

    def accept(answer_id: int) -> None:
        barrier.wait()
        try:
            _decide(store, decisions.accept_answer, answer_id, reason="clear")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=accept, args=(a.id,)) for a in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _contribution(store, unsure.contribution_id).status == ContributionStatus.COUNTED
    _assert_verified(store)


def _participation(runtime: Runtime, contribution_id: int) -> int | None:
    contribution = _contribution(runtime, contribution_id)
    with runtime.sessions() as session:
        return session.scalar(
            select(Participation.contribution_id).where(
                Participation.consultation_id == contribution.consultation_id,
                Participation.participant_id == contribution.participant_id,
            )
        )


def test_keeping_the_later_of_two_supersedes_the_first(store: Runtime) -> None:
    person = make_participant("+33612345678")
    first = record(store, make_intake(answers={"projets": ["bancs"]}, participant=person))
    second = record(store, make_intake(answers={"projets": ["toilettes"]}, participant=person))
    assert second.status == ContributionStatus.DUPLICATE
    kept = _decide(
        store,
        decisions.resolve_duplicate,
        second.contribution_id,
        first.contribution_id,
        reason="the resident asked at the mairie to change the vote",
    )
    assert kept.id == second.contribution_id and kept.status == ContributionStatus.COUNTED
    assert _contribution(store, first.contribution_id).status == ContributionStatus.SUPERSEDED
    assert _participation(store, second.contribution_id) == second.contribution_id
    _assert_verified(store)
    with store.sessions() as session:
        counts = tally(session, "BUDGET").questions[0].counts
    assert (counts["bancs"], counts["toilettes"]) == (0, 1)
    third = record(store, make_intake(participant=person))
    assert third.reason == f"participant already took part (contribution {second.contribution_id})"


def _budget_with_review_rule(runtime: Runtime) -> str:
    data = yaml.safe_load(BUDGET.read_text(encoding="utf-8"))
    data["code"] = "BUDGETREV"
    data["identity"]["on_duplicate"] = "review"
    with runtime.sessions() as session, session.begin():
        consultations.save_definition(session, parse_definition(data, folder=BUDGET.parent))
    return "BUDGETREV"


def test_a_possible_duplicate_is_settled_by_a_person(store: Runtime) -> None:
    code = _budget_with_review_rule(store)
    person = make_participant("+33612345678")
    first = record(store, make_intake(code, participant=person))
    second = record(store, make_intake(code, participant=person))
    assert second.status == ContributionStatus.REVIEW
    before = _last_event_id(store)
    _decide(
        store,
        decisions.resolve_duplicate,
        first.contribution_id,
        second.contribution_id,
        reason="same person, same day",
    )
    assert _contribution(store, second.contribution_id).status == ContributionStatus.DUPLICATE
    assert _contribution(store, first.contribution_id).status == ContributionStatus.COUNTED
    assert [e.subject_id for e in _events(store, before)] == [str(second.contribution_id)]
    _assert_verified(store)


def test_a_kept_duplicate_with_answers_to_review_waits_for_them(store: Runtime) -> None:
    code = _budget_with_review_rule(store)
    person = make_participant("+33612345678")
    first = record(store, make_intake(code, participant=person))
    second = make_unsure(store, code, participant=person)
    assert "possible duplicate" in (second.reason or "")
    _decide(
        store,
        decisions.resolve_duplicate,
        second.contribution_id,
        first.contribution_id,
        reason="the paper form came later",
    )
    assert _contribution(store, second.contribution_id).status == ContributionStatus.REVIEW
    [answer] = _answers(store, second.contribution_id)
    _decide(store, decisions.accept_answer, answer.id, reason="clear")
    assert _contribution(store, second.contribution_id).status == ContributionStatus.COUNTED
    assert _contribution(store, first.contribution_id).status == ContributionStatus.SUPERSEDED
    _assert_verified(store)


def test_resolving_a_duplicate_refuses_what_is_not_one(store: Runtime) -> None:
    alice, bob = make_participant("+33611111111"), make_participant("+33622222222")
    a = record(store, make_intake(participant=alice)).contribution_id
    b = record(store, make_intake(participant=bob)).contribution_id
    parc = record(store, make_intake("PARC", PARC_ANSWERS, participant=alice)).contribution_id
    for keep, other, problem in [
        (a, b, "are not one participant's"),
        (a, parc, "answer two consultations"),
        (a, a, "cannot duplicate itself"),
    ]:
        with pytest.raises(DecisionRefused, match=problem):
            _decide(store, decisions.resolve_duplicate, keep, other, reason="same person")
    _assert_verified(store)


def test_resolving_two_duplicates_while_a_third_counts_is_refused(store: Runtime) -> None:
    person = make_participant("+33612345678")
    counted, first_dup, second_dup = (
        record(store, make_intake(participant=person)).contribution_id for _ in range(3)
    )
    before = _last_event_id(store)
    with pytest.raises(DecisionRefused, match=f"contribution {counted} is counted"):
        _decide(store, decisions.resolve_duplicate, first_dup, second_dup, reason="same")
    assert _events(store, before) == []
    assert _participation(store, counted) == counted


def test_a_contribution_is_rejected_and_counted_again(store: Runtime) -> None:
    result = record(store, make_intake())
    before = _last_event_id(store)
    _decide(
        store,
        decisions.decide_status,
        result.contribution_id,
        ContributionStatus.REJECTED,
        reason="insults in the free text",
    )
    rejected = _contribution(store, result.contribution_id)
    assert (rejected.status, rejected.status_reason) == ("rejected", "insults in the free text")
    [event] = _events(store, before)
    assert (event.action, event.actor, event.payload["from"]) == (
        "contribution.status_changed",
        MARIE,
        "counted",
    )
    _assert_verified(store)
    _decide(
        store,
        decisions.decide_status,
        result.contribution_id,
        ContributionStatus.COUNTED,
        reason="appeal upheld",
    )
    assert _contribution(store, result.contribution_id).status == ContributionStatus.COUNTED
    _assert_verified(store)


def test_counting_respects_review_and_one_per_person(store: Runtime) -> None:
    unsure = make_unsure(store).contribution_id
    with pytest.raises(DecisionRefused, match=r"still has answers to review \(1\)"):
        _decide(store, decisions.decide_status, unsure, ContributionStatus.COUNTED, reason="ok")
    person = make_participant("+33612345678")
    held, duplicate = (record(store, make_intake(participant=person)) for _ in range(2))
    count = ContributionStatus.COUNTED
    with pytest.raises(DecisionRefused, match="resolve the duplicate"):
        _decide(store, decisions.decide_status, duplicate.contribution_id, count, reason="ok")
    with pytest.raises(DecisionRefused, match="by resolving a duplicate"):
        _decide(
            store,
            decisions.decide_status,
            held.contribution_id,
            ContributionStatus.SUPERSEDED,
            reason="ok",
        )
    rejected = ContributionStatus.REJECTED
    _decide(store, decisions.decide_status, held.contribution_id, rejected, reason="a bot")
    _decide(store, decisions.decide_status, duplicate.contribution_id, count, reason="the person")
    assert _participation(store, duplicate.contribution_id) == duplicate.contribution_id
    with pytest.raises(DecisionRefused, match="is counted already"):
        _decide(store, decisions.decide_status, duplicate.contribution_id, count, reason="ok")
    _assert_verified(store)


def test_a_duplicate_set_aside_is_reopened_as_it_waited(store: Runtime) -> None:
    code = _budget_with_review_rule(store)
    person = make_participant("+33612345678")
    first = record(store, make_intake(code, participant=person))
    second = record(store, make_intake(code, participant=person))
    waited = _contribution(store, second.contribution_id).status_reason
    _decide(store, decisions.resolve_duplicate, first.contribution_id, second.contribution_id,
            reason="same person")  # fmt: skip
    [decided] = _events(store, _last_event_id(store) - 1)
    assert decided.payload["was"] == waited
    _decide(store, decisions.reopen_contribution, second.contribution_id, waited, reason="undo")
    reopened = _contribution(store, second.contribution_id)
    assert (reopened.status, reopened.status_reason) == (ContributionStatus.REVIEW, waited)
    [event] = _events(store, _last_event_id(store) - 1)
    assert (event.action, event.payload["from"], event.payload["waits_for"]) == (
        "contribution.reopened", "duplicate", waited,
    )  # fmt: skip
    _assert_verified(store)


def test_reopening_refuses_what_counts_or_was_settled_from_its_answers(store: Runtime) -> None:
    counted = record(store, make_intake())
    with pytest.raises(DecisionRefused, match="it stays"):
        _decide(store, decisions.reopen_contribution, counted.contribution_id, "x", reason="undo")
    unsure = make_unsure(store)
    [answer] = _answers(store, unsure.contribution_id)
    _decide(store, decisions.reject_answer, answer.id, reason="unreadable")
    assert _contribution(store, unsure.contribution_id).status == ContributionStatus.REJECTED
    with pytest.raises(DecisionRefused, match="settled from its answers"):
        _decide(
            store, decisions.reopen_contribution, unsure.contribution_id,
            decisions.ANSWERS_TO_REVIEW, reason="undo",
        )  # fmt: skip
    assert _contribution(store, unsure.contribution_id).status == ContributionStatus.REJECTED
