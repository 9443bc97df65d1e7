"""Closed questions answered aloud through Twilio's <Gather input="dtmf speech">.

The recogniser's text goes through the same answer reader as an SMS; an unsure or
unclear reading is asked again once, then the caller is asked to use the keypad.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from gateway.runtime import Runtime
from gateway.store.models import AnswerSource
from tests.ivr.caller import Call
from tests.ivr.test_calls import PARC, _answers, _contributions, _start


def _finish_the_park(call: Call) -> None:
    for keys in ("4", "12", "#", "3"):  # mark, visits, no idea, age
        call.press(keys)
    assert call.press("2").hung_up  # district


def test_a_clear_and_sure_spoken_answer_is_taken(line: TestClient, line_runtime: Runtime) -> None:
    call = Call(line)
    _start(call, PARC)
    asked = call.last
    assert asked is not None and asked.listens
    assert "hints=\"oui, ouais, d'accord" in asked.twiml and 'language="fr-FR"' in asked.twiml
    assert "Vous pouvez aussi dire votre réponse." in asked.text
    priority = call.say("Oui, souvent.", 0.91)
    assert "Que faut-il faire en premier" in priority.text and priority.listens
    call.say("plutôt les bancs", 0.87)
    _finish_the_park(call)
    (contribution,) = _contributions(line_runtime)
    answers = _answers(line_runtime, contribution.id)
    assert (answers["frequentation"].value, answers["priorite"].value) == ("yes", "bancs")
    assert answers["frequentation"].source == AnswerSource.SPEECH
    assert answers["frequentation"].confidence == 0.91
    assert answers["satisfaction"].source == AnswerSource.DTMF


def test_an_unsure_then_unclear_reading_falls_back_to_the_keypad(
    line: TestClient, line_runtime: Runtime
) -> None:
    call = Call(line)
    _start(call, PARC)
    call.say("oui", 0.9)
    # Sure enough to read, but "les bancs" is heard too unsurely: asked again, aloud.
    unsure = call.say("plutôt les bancs", 0.41)
    assert unsure.text.startswith("Pardon, nous n'avons pas compris.") and unsure.listens
    # Clear words, no clear answer: never the nearest option, the keypad now.
    unclear = call.say("les arbres ou les jeux", 0.95)
    assert "Utilisez le clavier" in unclear.text and not unclear.listens
    assert 'input="dtmf"' in unclear.twiml
    call.press("2")
    _finish_the_park(call)
    (contribution,) = _contributions(line_runtime)
    answers = _answers(line_runtime, contribution.id)
    assert answers["priorite"].value == "jeux"
    assert answers["priorite"].source == AnswerSource.DTMF  # typed, not what was heard


def test_keys_still_answer_a_question_that_listens(line: TestClient, line_runtime: Runtime) -> None:
    call = Call(line)
    _start(call, PARC)
    call.press("2")
    call.press("1")
    _finish_the_park(call)
    (contribution,) = _contributions(line_runtime)
    answers = _answers(line_runtime, contribution.id)
    assert (answers["frequentation"].value, answers["priorite"].value) == ("no", "arbres")
    assert {answers[q].source for q in ("frequentation", "priorite")} == {AnswerSource.DTMF}


def test_a_flood_of_words_is_no_answer(line: TestClient, line_runtime: Runtime) -> None:
    call = Call(line)
    _start(call, PARC)
    flooded = call.say("oui " * 200, 0.99)
    assert flooded.text.startswith("Pardon, nous n'avons pas compris.")
    assert "Pour Oui, tapez 1" in flooded.text and flooded.listens
