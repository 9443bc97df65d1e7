"""Closed answers said aloud and heard by the local engine (Whisper), realistic and robotic.

The line records a short answer, fetches it from the Twilio stand-in while the caller
waits, and Whisper scores each allowed phrase against it (`gateway.speech.choosing`);
the phrase chosen is read with the shared answer reader. Measured over the simulated
phone line: the Kokoro voice's "non merci" is chosen by a margin of 14 nats;
espeak-ng's "oui" is heard as no speech and its "d'accord" beats "pas d'accord" by
1.7 nats only: unsure, so the keypad. No wrong option is ever counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.consultations import repository as consultations
from gateway.consultations.loader import parse_definition
from gateway.runtime import Runtime
from gateway.store.models import AnswerSource, ContributionStatus
from gateway.twilio.standin import TwilioStandIn
from tests.helpers import BUDGET
from tests.ivr.caller import Call
from tests.ivr.conftest import ACCOUNT
from tests.ivr.test_calls import PARC, _answers, _contributions, _start
from tests.ivr.test_spoken import _finish_the_park
from tests.sms.conftest import Clock, make_sms_runtime

# A phrase Whisper chooses comes with a confidence of 0.98 or more (its margin).
LOCAL_CONFIDENCE = 0.5
VOTE_SAID = "aire de jeux"


@pytest.fixture
def listening_line(
    tmp_path: Path, sqlite_url: str, clock: Clock, twilio: TwilioStandIn, whisper_dir: Path
) -> Iterator[tuple[TestClient, Runtime]]:
    runtime = make_sms_runtime(
        tmp_path, sqlite_url, twilio_account_sid=ACCOUNT, twilio_api_url=twilio.url,
        stt_engine="whisper", whisper_model_dir=whisper_dir, ivr_spoken_answers="local",
        ivr_speech_confidence=LOCAL_CONFIDENCE,
    )  # fmt: skip
    with TestClient(create_app(runtime=runtime)) as client:
        yield client, runtime
    runtime.close()


def _answer_aloud(call: Call, twilio: TwilioStandIn, clip: bytes) -> None:
    sid = f"RE{len(twilio.recordings):032x}"
    twilio.recordings[sid] = clip
    call.speak(sid, twilio.recording_url(sid))


def test_a_realistic_voice_is_heard_and_read(
    listening_line: tuple[TestClient, Runtime],
    twilio: TwilioStandIn,
    speak_kokoro: Callable[[str], bytes],
) -> None:
    client, runtime = listening_line
    call = Call(client)
    _start(call, PARC)
    assert call.last is not None and call.last.record_action
    assert "Dites votre réponse après le bip" in call.last.text
    _answer_aloud(call, twilio, speak_kokoro("non merci"))
    assert call.last is not None and "Que faut-il faire en premier" in call.last.text
    call.press("3")  # a key ends the short recording, and answers
    _finish_the_park(call)
    (contribution,) = _contributions(runtime)
    answers = _answers(runtime, contribution.id)
    assert (answers["frequentation"].value, answers["priorite"].value) == ("no", "bancs")
    assert answers["frequentation"].source == AnswerSource.SPEECH
    assert 0.98 <= answers["frequentation"].confidence <= 1
    assert answers["priorite"].source == AnswerSource.DTMF


def test_a_robotic_voice_falls_back_to_the_keypad(
    listening_line: tuple[TestClient, Runtime],
    twilio: TwilioStandIn,
    speak: Callable[[str], bytes],
) -> None:
    client, runtime = listening_line
    call = Call(client)
    _start(call, PARC)
    _answer_aloud(call, twilio, speak("oui"))  # heard as nothing
    assert call.last is not None and call.last.record_action  # asked again, aloud
    _answer_aloud(call, twilio, speak("d'accord"))  # heard, but unsure
    keypad = call.last
    assert keypad is not None and "Utilisez le clavier" in keypad.text
    assert keypad.record_action is None and keypad.action and not keypad.listens
    call.press("1")
    call.press("3")
    _finish_the_park(call)
    (contribution,) = _contributions(runtime)
    answers = _answers(runtime, contribution.id)
    assert answers["frequentation"].value == "yes"
    assert answers["frequentation"].source == AnswerSource.DTMF


def test_a_recording_that_cannot_be_fetched_is_nothing_heard(
    listening_line: tuple[TestClient, Runtime], twilio: TwilioStandIn
) -> None:
    client, _ = listening_line
    call = Call(client)
    _start(call, PARC)
    twilio.failing_downloads = 5
    _answer_aloud(call, twilio, b"")
    assert call.last is not None and call.last.text.startswith("Pardon, nous n'avons pas compris.")


def test_silence_after_the_beep_asks_again(listening_line: tuple[TestClient, Runtime]) -> None:
    client, _ = listening_line
    call = Call(client)
    _start(call, PARC)
    silence = call.follow()  # nothing recorded: Twilio follows the <Redirect>
    assert silence.text.startswith("Pardon, nous n'avons pas compris.")
    assert silence.record_action and "Allez-vous au parc" in silence.text


def _vote_aloud(runtime: Runtime) -> None:
    """The budget vote as one spoken choice among its first four projects."""
    data = yaml.safe_load(BUDGET.read_text(encoding="utf-8"))
    projects = data["questions"][0]
    for field in ("min_choices", "max_choices"):
        del projects[field]
    text = {"fr": "Quel projet voulez-vous ?", "en": "Which project do you want?"}
    projects.update(type="single_choice", spoken=True, options=projects["options"][:4], text=text)
    data.update(code="VOIX", title={"fr": "Vote à voix haute", "en": "Vote aloud"})
    data["questions"] = [projects]
    with runtime.sessions() as session, session.begin():
        consultations.save_definition(session, parse_definition(data, folder=BUDGET.parent), "test")


def test_a_whole_vote_said_aloud_is_read_back_and_counted(
    listening_line: tuple[TestClient, Runtime],
    twilio: TwilioStandIn,
    speak_kokoro: Callable[[str], bytes],
) -> None:
    client, runtime = listening_line
    _vote_aloud(runtime)
    call = Call(client)
    call.dial()
    menu = call.press("")
    assert "Pour Vote à voix haute, tapez 3." in menu.text
    asked = call.press("3")
    assert asked.record_action and "Quel projet voulez-vous ?" in asked.text
    _answer_aloud(call, twilio, speak_kokoro(VOTE_SAID))
    read_back = call.last
    assert read_back is not None and not read_back.record_action  # confirmed by a key
    assert "Vous avez choisi : Une aire de jeux rue des Lilas." in read_back.text
    age = call.press("1")
    assert "Question 2 sur 2. Quel âge avez-vous ?" in age.text
    end = call.press("4")
    assert end.hung_up and "Merci ! Vos réponses sont enregistrées." in end.text
    (contribution,) = _contributions(runtime)
    assert (contribution.channel, contribution.status) == ("ivr", ContributionStatus.COUNTED)
    code = ", ".join(c for c in contribution.receipt_code if c != "-")
    assert end.text.count(code) == 2
    vote = _answers(runtime, contribution.id)["projets"]
    assert (vote.value, vote.source) == ("aire-jeux", AnswerSource.SPEECH)
    assert 0.98 <= vote.confidence <= 1
