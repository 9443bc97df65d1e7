"""Tallies and inclusion indicators against figures computed by hand on tests/results/seed.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.consultations.schema import Option, Question, QuestionType, Text
from gateway.results.tally import Tally, ranking, tally
from gateway.runtime import Runtime
from tests.helpers import load_examples, make_intake, record
from tests.results.seed import seed


@pytest.fixture
def parc(runtime: Runtime) -> Tally:
    seed(runtime)
    with runtime.sessions() as session:
        return tally(session, "PARC")


def test_counted_and_awaiting_are_apart(parc: Tally) -> None:
    assert parc.contributions == {"counted": 7, "review": 1, "rejected": 1}
    assert parc.by_channel == {"online": 3, "sms": 1, "paper": 1, "ivr": 1, "kiosk": 1}
    priorite = parc.question("priorite")
    assert priorite.counts == {"arbres": 2, "jeux": 3, "bancs": 2, "eclairage": 0}
    assert priorite.by_channel == {
        "online": {"jeux": 2, "arbres": 1},
        "sms": {"arbres": 1},
        "paper": {"bancs": 1},
        "ivr": {"bancs": 1},
        "kiosk": {"jeux": 1},
    }
    # The rejected paper form counts nowhere; the one awaiting review is apart.
    assert priorite.awaiting_review == 1 and priorite.awaiting_by_channel == {"paper": 1}
    assert priorite.awaiting_counts == {"eclairage": 1}
    assert parc.question("satisfaction").mean == 4.0  # (4+2+5+3+4+5+5) / 7


def test_ties_share_a_place_and_review_can_change_the_order(parc: Tally) -> None:
    places = [(r.key, r.rank, r.tied_with) for r in parc.question("priorite").ranking]
    assert places == [
        ("jeux", 1, []),
        ("arbres", 2, ["bancs"]),
        ("bancs", 2, ["arbres"]),
        ("eclairage", 4, []),
    ]
    # One answer awaits review and jeux leads by one: the order is not settled yet.
    assert parc.question("priorite").ranking_unsettled
    assert not parc.question("frequentation").ranking_unsettled


def test_ranking_without_ties_counts_places_one_by_one() -> None:
    question = Question(
        id="q",
        type=QuestionType.SINGLE_CHOICE,
        text=Text(fr="?"),
        options=[Option(key=k, label=Text(fr=k.upper())) for k in ("a", "b", "c")],
    )
    ranks = ranking(question, {"a": 1, "b": 5, "c": 3}, "fr")
    assert [(r.key, r.rank, r.label) for r in ranks] == [
        ("b", 1, "B"),
        ("c", 2, "C"),
        ("a", 3, "A"),
    ]


def test_channel_shares_and_representativeness(parc: Tally) -> None:
    inclusion = parc.inclusion
    assert inclusion.channel_shares == {
        "ivr": 0.1429, "kiosk": 0.1429, "online": 0.4286, "paper": 0.1429, "sms": 0.1429,
    }  # fmt: skip
    groups = {(g.question_id, g.key): g for g in inclusion.groups}
    seniors = groups["tranche-age", "60-plus"]
    # 3 of the 7 counted, against 2,578 of the 13,500 residents in the reference file.
    assert seniors.participants == 3 and seniors.population == 2578
    assert seniors.by_channel == {"ivr": 1, "paper": 1, "sms": 1}
    assert seniors.share == 0.4286 and seniors.population_share == 0.191
    assert seniors.index == round((3 / 7) / (2578 / 13500), 2) == 2.24
    assert groups["tranche-age", "30-59"].index == round((2 / 7) / (5300 / 13500), 2)
    assert inclusion.population_total == 13500
    # "Autre commune" is not in the commune's population: no share, no index.
    outside = groups["quartier", "autre"]
    assert outside.population is None and outside.index is None and outside.participants == 0


def test_who_online_alone_would_miss(parc: Tally) -> None:
    missing = [(g.question_id, g.key) for g in parc.inclusion.missing_online_alone]
    assert missing == [
        ("tranche-age", "moins-18"),
        ("tranche-age", "60-plus"),
        ("quartier", "tilleuls"),
        ("quartier", "champ-fleuri"),
        ("quartier", "gare"),
    ]
    centre = next(g for g in parc.inclusion.groups if g.key == "centre")
    assert centre.offline_share == 0.0 and not centre.mostly_offline


def test_participation_per_local_day(parc: Tally) -> None:
    # 23:30 UTC on 1 December is 2 December in Paris.
    assert [(d.day, d.channels) for d in parc.inclusion.per_day] == [
        ("2026-12-01", {"online": 2}),
        ("2026-12-02", {"online": 1, "paper": 1, "sms": 1}),
        ("2026-12-03", {"ivr": 1, "kiosk": 1}),
    ]


def test_method_counts_what_was_reviewed(parc: Tally) -> None:
    method = parc.method
    assert method.review_threshold == 0.8 and method.threshold_from == "setting"
    assert (method.identity_policy, method.on_duplicate) == ("one_per_person", "last_wins")
    assert method.awaiting_review == 1
    assert method.reviewed == {"rejected": 1} and method.not_counted == {"rejected": 1}
    paper = next(c for c in method.channels if c.channel == "paper")
    # Three forms of five answers each; two read below the threshold.
    assert paper.answers == 15 and paper.by_source == {"omr": 15} and paper.sent_to_review == 10
    assert "image analysis" not in paper.how and "analyse" in paper.how


def test_free_text_is_counted_never_grouped_by_its_text(runtime: Runtime) -> None:
    load_examples(runtime)
    base = {"frequentation": "no", "priorite": "arbres", "satisfaction": 3}
    for idea in ("Des bancs", "Un kiosque", "Des bancs"):
        record(runtime, make_intake("PARC", {**base, "idee": idea}))
    with runtime.sessions() as session:
        idee = tally(session, "PARC").question("idee")
    assert idee.answered == 3 and idee.counts == {} and idee.by_channel == {}


def test_publication_follows_the_definition(runtime: Runtime) -> None:
    from gateway.clock import set_clock

    load_examples(runtime)
    with runtime.sessions() as session:
        with set_clock(lambda: datetime(2027, 4, 7, 15, 59, tzinfo=UTC)):
            before = tally(session, "PARC").published
        with set_clock(lambda: datetime(2027, 4, 7, 16, 0, tzinfo=UTC)):
            after = tally(session, "PARC").published
        budget = tally(session, "BUDGET").published
    assert (before, after, budget) == (False, True, False)


def test_the_terminal_prints_the_same_figures(parc: Tally) -> None:
    from gateway.results.terminal import table

    text = table(parc)
    assert "counted by channel: ivr: 1, kiosk: 1, online: 3, paper: 1, sms: 1" in text
    assert "  jeux                      3   ivr 0, kiosk 1, online 2, paper 0, sms 0" in text
    assert "tie: arbres and bancs have 2 each and share place 2" in text
    assert "answers awaiting review (1) could change this order" in text
    assert "tranche-age=60-plus" in text and "42.9%" in text and "2.24" in text
    assert (
        "mostly through SMS, phone, kiosk or paper: tranche-age=moins-18, tranche-age=60-plus"
        in text
    )
    assert "2026-12-02  online 1, paper 1, sms 1" in text
    assert "decided after review: rejected 1" in text
