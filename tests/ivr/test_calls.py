"""Whole calls, as sequences of signed Twilio Voice webhooks, ending in the store and results."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from gateway.runtime import Runtime
from gateway.store.models import Answer, AnswerSource, Contribution, ContributionStatus
from tests.ivr.caller import Call
from tests.sms.twilio import post_signed, recorded

BUDGET, PARC = "1", "2"  # their places in the consultation menu


def _contributions(runtime: Runtime) -> list[Contribution]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Contribution).order_by(Contribution.id)))


def _answers(runtime: Runtime, contribution_id: int) -> dict[str, Answer]:
    with runtime.sessions() as session:
        rows = session.scalars(select(Answer).where(Answer.contribution_id == contribution_id))
        return {a.question_id: a for a in rows}


def _start(call: Call, menu_key: str) -> None:
    call.dial()
    call.press("")  # no opt-out at the greeting
    call.press(menu_key)


def test_a_whole_vote_by_keypad_with_confirmation_and_receipt(
    line: TestClient, line_runtime: Runtime
) -> None:
    call = Call(line)
    _start(call, BUDGET)
    assert "Pour la suite, tapez 9" in call.last.text  # type: ignore[union-attr]
    more = call.press("9")
    assert "Pour Des toilettes publiques accessibles, tapez 5" in more.text
    confirm = call.press("137")
    assert "Vous avez choisi : Un jardin partagé au Champ-Fleuri, Des bancs" in confirm.text
    assert "Pour confirmer, tapez 1. Pour changer, tapez 2." in confirm.text
    age = call.press("1")
    assert "Question 2 sur 2. Quel âge avez-vous ?" in age.text
    end = call.press("4")
    assert end.hung_up and "Merci ! Vos réponses sont enregistrées." in end.text
    (contribution,) = _contributions(line_runtime)
    code = ", ".join(c for c in contribution.receipt_code if c != "-")
    assert end.text.count(code) == 2  # the receipt, character by character, twice
    answers = _answers(line_runtime, contribution.id)
    assert answers["projets"].value == ["jardin-partage", "bancs", "eclairage"]
    assert answers["tranche-age"].value == "60-plus"
    assert {a.source for a in answers.values()} == {AnswerSource.DTMF}
    assert (contribution.channel, contribution.status) == ("ivr", ContributionStatus.COUNTED)


def test_changing_a_vote_counts_only_the_confirmed_choice(
    line: TestClient, line_runtime: Runtime
) -> None:
    call = Call(line)
    _start(call, BUDGET)
    call.press("2")
    again = call.press("2")  # change
    assert "Question 1 sur 2" in again.text
    call.press("5")
    call.press("1")
    call.press("#")  # skip the age
    (contribution,) = _contributions(line_runtime)
    answers = _answers(line_runtime, contribution.id)
    assert answers["projets"].value == ["toilettes"]
    assert "tranche-age" not in answers


def test_the_park_consultation_with_a_voice_message(
    line: TestClient, line_runtime: Runtime
) -> None:
    call = Call(line)
    _start(call, PARC)
    assert "Allez-vous au parc des Tilleuls ?" in call.last.text  # type: ignore[union-attr]
    assert "Pour Oui, tapez 1. Pour Non, tapez 2." in call.last.text  # type: ignore[union-attr]
    priority = call.press("1")
    assert "pour Planter des arbres, tapez 1".lower() in priority.text.lower()
    mark = call.press("3")
    assert "Tapez une note de 1 à 5. 1 veut dire Pas du tout." in mark.text
    visits = call.press("4")
    assert "Tapez le nombre sur le clavier" in visits.text
    idea = call.press("12")
    assert "Pour répondre par un message vocal, tapez 1" in idea.text
    beep = call.press("1")
    assert beep.record_action and "Parlez après le bip" in beep.text
    age = call.record("RE" + "1" * 32)
    assert "Quel âge avez-vous ?" in age.text
    call.press("3")
    end = call.press("2")
    assert "Une personne de la mairie vérifiera vos réponses." in end.text
    (contribution,) = _contributions(line_runtime)
    assert contribution.status == ContributionStatus.REVIEW  # a recording is never counted unheard
    answers = _answers(line_runtime, contribution.id)
    assert answers["frequentation"].value == "yes"
    assert answers["priorite"].value == "bancs"
    assert (answers["satisfaction"].value, answers["visites"].value) == (4, 12)
    assert answers["idee"].source == AnswerSource.SPEECH and answers["idee"].confidence == 0
    assert answers["idee"].raw_input == "recording:RE" + "1" * 32
    assert answers["quartier"].value == "tilleuls"


def test_results_count_the_phone(line: TestClient, line_runtime: Runtime) -> None:
    from gateway.cli import app

    call = Call(line)
    _start(call, BUDGET)
    call.press("3")
    call.press("1")
    call.press("2")
    result = CliRunner().invoke(app, ["results", "BUDGET"], env=_env(line_runtime))
    assert result.exit_code == 0, result.output
    assert "ivr" in result.output and "bancs" in result.output


def _env(runtime: Runtime) -> dict[str, str]:
    settings = runtime.settings
    return {
        "PORTEVOIX_DATABASE_URL": settings.sqlalchemy_url,
        "PORTEVOIX_DATA_DIR": str(settings.data_dir),
    }


def test_silence_and_wrong_keys_ask_again_twice_then_review(
    line: TestClient, line_runtime: Runtime
) -> None:
    call = Call(line)
    _start(call, PARC)
    first = call.press("")
    assert first.text.startswith("Pardon, nous n'avons pas compris.")
    second = call.press("7")
    assert second.text.startswith("Pardon, nous n'avons pas compris.")
    moved_on = call.press("")
    assert "Une personne de la mairie vérifiera cette réponse." in moved_on.text
    assert "Question 2 sur 7" in moved_on.text


def test_star_repeats_and_hash_skips_only_what_may_be_skipped(line: TestClient) -> None:
    call = Call(line)
    _start(call, PARC)
    again = call.press("*")
    assert again.text.startswith("Question 1 sur 7. Allez-vous au parc des Tilleuls ?")
    needed = call.press("#")
    assert "Cette question demande une réponse." in needed.text


def test_a_retried_webhook_gets_the_same_twiml_and_counts_once(
    line: TestClient, line_runtime: Runtime
) -> None:
    call = Call(line)
    first = call.dial()
    assert call.dial().twiml == first.twiml
    call.press("")
    menu = call.last
    call.press(BUDGET)
    question = call.last
    call.last = menu
    assert call.press(BUDGET).twiml == question.twiml  # type: ignore[union-attr]
    call.press("3")
    confirm = call.last
    call.press("1")
    call.press("1")
    call.last = confirm
    call.press("1")  # Twilio retries the confirmation: the same reply, nothing moved
    assert len(_contributions(line_runtime)) == 1


@pytest.mark.parametrize("signature", [None, "forged", "c2lnbmF0dXJl"])
def test_forged_or_missing_signatures_are_refused(
    line: TestClient, line_runtime: Runtime, signature: str | None
) -> None:
    form = recorded("voice-incoming.form")
    for path in ("/ivr/twilio/voice", "/ivr/twilio/step?n=1", "/ivr/twilio/status",
                 "/ivr/twilio/recording-status"):  # fmt: skip
        assert post_signed(line, path, form, signature=signature).status_code == 403
    with line_runtime.sessions() as session:
        from gateway.ivr.models import IvrCall

        assert session.scalars(select(IvrCall)).all() == []


def test_a_dropped_call_resumes_on_call_back(line: TestClient, line_runtime: Runtime) -> None:
    call = Call(line)
    _start(call, PARC)
    call.press("1")
    call.press("2")
    call.hang_up()
    back = Call(line)
    resumed = back.dial()
    assert "Nous reprenons là où vous vous êtes arrêté, à la question 3." in resumed.text
    assert "Question 3 sur 7" in resumed.text
    back.press("5")
    back.press("0")
    back.press("#")
    back.press("#")
    assert back.press("#").hung_up
    (contribution,) = _contributions(line_runtime)
    answers = _answers(line_runtime, contribution.id)
    assert (answers["frequentation"].value, answers["priorite"].value) == ("yes", "jeux")
    assert (answers["satisfaction"].value, answers["visites"].value) == (5, 0)


def test_a_voice_message_left_before_a_drop_is_still_a_recording_after_call_back(
    line: TestClient, line_runtime: Runtime
) -> None:
    call = Call(line)
    _start(call, PARC)
    for keys in ("1", "3", "4", "12", "1"):
        call.press(keys)
    call.record("RE" + "2" * 32)
    call.hang_up()
    back = Call(line)
    assert "à la question 6" in back.dial().text
    back.press("3")
    assert back.press("2").hung_up
    (contribution,) = _contributions(line_runtime)
    idea = _answers(line_runtime, contribution.id)["idee"]
    # Not the recording's name as an idea: an empty answer for a person who listens.
    assert (idea.value, idea.source, idea.status) == ("", AnswerSource.SPEECH, "review")


def test_a_withheld_number_takes_part_but_the_vote_goes_to_review(
    line: TestClient, line_runtime: Runtime
) -> None:
    call = Call(line, number="anonymous")
    greeting = call.dial()
    assert "tapez 9" not in greeting.text  # no number: no opt-out to record
    call.press(BUDGET)
    call.press("3")
    call.press("1")
    end = call.press("1")
    assert "Une personne de la mairie vérifiera vos réponses." in end.text
    (contribution,) = _contributions(line_runtime)
    assert contribution.status == ContributionStatus.REVIEW
    assert "not one this consultation uses" in (contribution.status_reason or "")


def test_first_wins_callers_are_told_they_already_voted(line: TestClient) -> None:
    call = Call(line)
    _start(call, BUDGET)
    call.press("3")
    call.press("1")
    call.press("1")
    again = Call(line)
    _start(again, BUDGET)
    assert again.last.hung_up  # type: ignore[union-attr]
    assert "Vous avez déjà participé à Budget participatif 2027" in again.last.text  # type: ignore[union-attr]
