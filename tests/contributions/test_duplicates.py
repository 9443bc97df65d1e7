"""One person through two channels: the identity policy, journaled, and a held pair settled once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from gateway import audit
from gateway.consultations import repository as consultations
from gateway.consultations.loader import parse_definition
from gateway.contributions import decisions
from gateway.contributions.decisions import DecisionRefused
from gateway.runtime import Runtime
from gateway.store.models import AuditEvent, Channel, Contribution, ContributionStatus
from tests.helpers import BUDGET, load_examples, make_intake, make_participant, record

MARIE = "staff:marie"
PHONE = "+33612345678"


@pytest.fixture
def store(runtime: Runtime) -> Runtime:
    load_examples(runtime)
    return runtime


def make_rule(runtime: Runtime, rule: str) -> None:
    """The budget vote, its duplicates settled by `rule`."""
    data = yaml.safe_load(BUDGET.read_text(encoding="utf-8"))
    data["identity"]["on_duplicate"] = rule
    with runtime.sessions() as session, session.begin():
        consultations.save_definition(session, parse_definition(data, folder=BUDGET.parent))


def make_pair(runtime: Runtime, first: Channel, second: Channel) -> tuple[int, int]:
    """The same phone through two channels, answering two different ways."""
    person = make_participant(PHONE)
    one = record(runtime, make_intake(answers={"projets": ["bancs"]}, channel=first,
                                      participant=person))  # fmt: skip
    two = record(runtime, make_intake(answers={"projets": ["toilettes"]}, channel=second,
                                      participant=person))  # fmt: skip
    return one.contribution_id, two.contribution_id


def status(runtime: Runtime, contribution_id: int) -> str:
    with runtime.sessions() as session:
        return session.get_one(Contribution, contribution_id).status


def recorded_event(runtime: Runtime, contribution_id: int) -> dict[str, Any]:
    with runtime.sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "contribution.recorded",
                AuditEvent.subject_id == str(contribution_id),
            )
        ).one()
        return dict(event.payload)


def settle(runtime: Runtime, held: int, keep: int | None, reason: str = "checked") -> Any:
    with runtime.sessions() as session, session.begin():
        return decisions.settle_possible_duplicate(session, held, keep, actor=MARIE, reason=reason)


def assert_verified(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        report = audit.verify(session)
    assert report.ok, report.problems


@pytest.mark.parametrize(
    ("rule", "first_status", "second_status"),
    [
        ("first_wins", ContributionStatus.COUNTED, ContributionStatus.DUPLICATE),
        ("last_wins", ContributionStatus.SUPERSEDED, ContributionStatus.COUNTED),
        ("review", ContributionStatus.COUNTED, ContributionStatus.REVIEW),
    ],
)
@pytest.mark.parametrize(
    ("first", "second"),
    [(Channel.SMS, Channel.KIOSK), (Channel.SMS, Channel.IVR), (Channel.ONLINE, Channel.SMS)],
)
def test_one_phone_through_two_channels_is_one_person_under_each_rule(
    store: Runtime, rule: str, first_status: str, second_status: str, first: Channel,
    second: Channel,
) -> None:  # fmt: skip
    make_rule(store, rule)
    one, two = make_pair(store, first, second)
    assert (status(store, one), status(store, two)) == (first_status, second_status)
    found = recorded_event(store, two)["duplicate_of"]
    assert found == {"contribution": one, "channel": first.value, "rule": rule}
    assert "duplicate_of" not in recorded_event(store, one)
    assert_verified(store)


def test_keeping_the_first_of_a_held_pair(store: Runtime) -> None:
    make_rule(store, "review")
    one, two = make_pair(store, Channel.SMS, Channel.KIOSK)
    settle(store, two, one)
    assert (status(store, one), status(store, two)) == ("counted", "duplicate")
    assert_verified(store)


def test_keeping_the_second_of_a_held_pair_passes_the_participation(store: Runtime) -> None:
    make_rule(store, "review")
    one, two = make_pair(store, Channel.SMS, Channel.IVR)
    settle(store, two, two)
    assert (status(store, one), status(store, two)) == ("superseded", "counted")
    third = record(store, make_intake(participant=make_participant(PHONE)))
    assert third.reason == f"possible duplicate of contribution {two}"
    assert_verified(store)


def test_keeping_neither_rejects_both(store: Runtime) -> None:
    make_rule(store, "review")
    one, two = make_pair(store, Channel.ONLINE, Channel.SMS)
    settle(store, two, None, reason="two different votes, no way to tell")
    assert (status(store, one), status(store, two)) == ("rejected", "rejected")
    assert_verified(store)


def test_a_settled_pair_or_a_stranger_is_refused(store: Runtime) -> None:
    make_rule(store, "review")
    one, two = make_pair(store, Channel.SMS, Channel.KIOSK)
    other = record(store, make_intake(participant=make_participant("+33699999999")))
    with pytest.raises(DecisionRefused, match="not one of the pair"):
        settle(store, two, other.contribution_id)
    with pytest.raises(DecisionRefused, match="needs a reason"):
        settle(store, two, one, reason=" ")
    settle(store, two, one)
    with pytest.raises(DecisionRefused, match="is not held as a possible duplicate"):
        settle(store, two, two)
    with pytest.raises(DecisionRefused, match="is not held as a possible duplicate"):
        settle(store, one, one)
    assert (status(store, one), status(store, two)) == ("counted", "duplicate")


def test_two_reviewers_settling_one_pair_at_once_decide_it_once(store: Runtime) -> None:
    make_rule(store, "review")
    one, two = make_pair(store, Channel.SMS, Channel.KIOSK)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def keep(contribution_id: int) -> None:
        barrier.wait()
        try:
            settle(store, two, contribution_id)
            outcomes.append(f"kept {contribution_id}")
        except DecisionRefused as refused:
            outcomes.append(str(refused))

    threads = [threading.Thread(target=keep, args=(kept,)) for kept in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = [o for o in outcomes if o.startswith("kept")]
    refused = [o for o in outcomes if not o.startswith("kept")]
    # Serial (SQLite): the second sees it settled; racing (PostgreSQL): once it has the locks.
    late = (f"contribution {two} is not held as a possible duplicate",
            f"contribution {two} was settled already")  # fmt: skip
    assert len(kept) == 1 and len(refused) == 1 and refused[0] in late
    expected = ("counted", "duplicate") if kept == [f"kept {one}"] else ("superseded", "counted")
    assert (status(store, one), status(store, two)) == expected
    assert_verified(store)


def reopen(runtime: Runtime, held: int) -> Any:
    with runtime.sessions() as session, session.begin():
        return decisions.reopen_possible_duplicate(session, held, actor=MARIE, reason="undone")


@pytest.mark.parametrize("keep", ["first", "second", "neither"])
def test_reopening_a_settled_pair_puts_it_back_as_the_door_left_it(
    store: Runtime, keep: str
) -> None:
    make_rule(store, "review")
    one, two = make_pair(store, Channel.SMS, Channel.KIOSK)
    settle(store, two, {"first": one, "second": two, "neither": None}[keep])
    reopen(store, two)
    assert (status(store, one), status(store, two)) == ("counted", "review")
    third = record(store, make_intake(participant=make_participant(PHONE)))
    assert third.reason == f"possible duplicate of contribution {one}"  # the first holds it again
    with pytest.raises(DecisionRefused, match="no settled pair"):
        reopen(store, two)
    settle(store, two, two)  # and it can be decided anew
    assert (status(store, one), status(store, two)) == ("superseded", "counted")
    assert_verified(store)


def test_a_pair_changed_since_it_was_settled_is_not_reopened(store: Runtime) -> None:
    make_rule(store, "review")
    one, two = make_pair(store, Channel.SMS, Channel.IVR)
    settle(store, two, one)
    with store.sessions() as session, session.begin():
        decisions.decide_status(
            session, one, ContributionStatus.REJECTED, actor=MARIE, reason="mandate revoked"
        )
    with pytest.raises(DecisionRefused, match="changed since"):
        reopen(store, two)
    assert (status(store, one), status(store, two)) == ("rejected", "duplicate")
    with pytest.raises(DecisionRefused, match="no settled pair"):
        reopen(store, one)


def test_a_pair_is_not_reopened_once_the_participant_took_part_again(store: Runtime) -> None:
    make_rule(store, "review")
    one, two = make_pair(store, Channel.SMS, Channel.IVR)
    settle(store, two, two)
    third = record(store, make_intake(channel=Channel.KIOSK, participant=make_participant(PHONE)))
    assert third.reason == f"possible duplicate of contribution {two}"
    with pytest.raises(DecisionRefused, match="changed since"):
        reopen(store, two)
    assert (status(store, one), status(store, two)) == ("superseded", "counted")
