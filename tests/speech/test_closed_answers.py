"""Closed answers heard by Whisper scoring each allowed phrase, on real clips and the real model.

The clips and their figures are in bench/closed_answers.py; here a few of each kind:
an answer in Kokoro's realistic voice is heard, and what is no allowed answer (a
saying off the list, robotic speech heard too unsurely, silence) is nothing heard.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.consultations.loader import load_definition
from gateway.dialogue.reading import allowed_answers, read_answer
from gateway.speech import SpeechEngine
from gateway.speech.choosing import GAP, MARGIN, _decide
from tests.helpers import PARC

audio = pytest.importorskip("gateway.speech.audio")

ALLOWED = {"bancs": "bancs", "banc": "bancs", "trois": "bancs", "un": "arbres"}


def _allowed(question_id: str) -> dict[str, str]:
    question = load_definition(PARC).question(question_id)
    assert question is not None
    return allowed_answers(question)


def test_phrases_of_one_answer_are_not_rivals() -> None:
    # (score against the clip, score against silence) per phrase
    scores = {
        "bancs": (-2.0, -12.0),
        "banc": (-2.5, -12.0),
        "trois": (-9.0, -8.0),
        "un": (-9.0, -4.0),
    }
    choice = _decide(-1.0, scores, ALLOWED)
    assert choice.phrase == "bancs"
    assert choice.margin == pytest.approx(10.0 - (-5.0))  # against "un", not "banc"


def test_a_close_rival_or_a_far_better_free_transcription_is_unsure() -> None:
    close = {"bancs": (-2.0, -5.0), "un": (-3.0, -6.0 + MARGIN - 0.5)}
    assert _decide(-2.0, close, ALLOWED).phrase is None
    clear = {"bancs": (-2.0, -5.0), "un": (-3.0, -1.0)}
    assert _decide(-2.0, clear, ALLOWED).phrase == "bancs"
    assert _decide(-2.0 + GAP + 0.5, clear, ALLOWED).phrase is None  # something else was said


def test_an_answer_in_a_realistic_voice_is_heard(
    whisper: SpeechEngine, speak_kokoro: Callable[[str], bytes]
) -> None:
    allowed = _allowed("frequentation")
    heard = whisper.transcribe(audio.to_pcm16k(speak_kokoro("non merci")), "fr", allowed)
    assert (heard.text, allowed[heard.text]) == ("non merci", "no")
    assert heard.confidence > 0.99 and heard.words == []
    benches = audio.to_pcm16k(speak_kokoro("plus de bancs"))
    label = whisper.transcribe(benches, "fr", _allowed("priorite"))
    question = load_definition(PARC).question("priorite")
    assert question is not None and read_answer(question, label.text).value == "bancs"


def test_what_is_no_allowed_answer_is_nothing_heard(
    whisper: SpeechEngine,
    speak_kokoro: Callable[[str], bytes],
    speak: Callable[[str], bytes],
) -> None:
    unsure = [
        (speak_kokoro("je ne sais pas"), "frequentation"),  # off the list
        (speak("un grand parking"), "priorite"),  # off the list, robotic
        (speak("d'accord"), "frequentation"),  # robotic, too close to "pas d'accord"
        (b"\0\0" * 32_000, "priorite"),  # silence
    ]
    for clip, question_id in unsure:
        pcm = clip if clip.startswith(b"\0") else audio.to_pcm16k(clip)
        heard = whisper.transcribe(pcm, "fr", _allowed(question_id))
        assert (heard.text, heard.confidence, heard.words) == ("", 0.0, [])
