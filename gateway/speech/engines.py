"""The configured speech engine, loaded once per process, and what `doctor` says of it."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

from gateway.adapter import Check
from gateway.config import Settings
from gateway.speech import SpeechEngine, SpeechUnavailable, Transcript, whisper


def engine_name(settings: Settings) -> str:
    """whisper, vosk or none: the setting, else whisper when installed."""
    if settings.stt_engine is not None:
        return settings.stt_engine
    return "whisper" if whisper.installed() else "none"


def engine_for(settings: Settings) -> SpeechEngine | None:
    """The engine to transcribe with, None when speech to text is off."""
    name = engine_name(settings)
    if name == "whisper":
        return _whisper(whisper.install_model(whisper_dir(settings)))
    if name == "vosk":
        raise SpeechUnavailable("the Vosk engine is not built yet: use whisper or none")
    return None


def whisper_dir(settings: Settings) -> Path:
    return settings.whisper_model_dir or settings.data_dir / "speech" / "whisper-base"


@functools.cache
def _whisper(directory: Path) -> SpeechEngine:
    return whisper.WhisperEngine(directory)


def transcribe_recording(engine: SpeechEngine, audio: bytes, language: str) -> Transcript:
    """A phone recording (WAV) through conversion to 16 kHz mono and the engine."""
    from gateway.speech.audio import to_pcm16k  # numpy and soxr come with the extra.

    return engine.transcribe(to_pcm16k(audio), language)


def speech_checks(settings: Settings) -> list[Check]:
    """What `portevoix doctor` says of speech to text: engine, model, test voice."""
    name = engine_name(settings)
    checks = [
        Check(
            f"speech to text (engine: {name})",
            name != "none",
            "off: recordings wait for a person to listen; pip install 'portevoix[speech]' "
            "and run `portevoix ivr setup-speech` for Whisper",
            required=False,
        )
    ]
    if name == "whisper":
        directory = whisper_dir(settings)
        checks.append(
            Check(
                f"Whisper model in {directory} (sha256 checked)",
                # Not joined yet is fine: the first recording joins it.
                whisper.verify(directory) if whisper.ready(directory) else whisper.installed(),
                "run `portevoix ivr setup-speech` (needs the `speech` extra)",
            )
        )
    if name == "vosk":
        checks.append(Check("Vosk engine", False, "not built yet: use whisper or none"))
    checks.append(
        Check(
            "espeak-ng (test speech only)",
            shutil.which("espeak-ng") is not None,
            "apt-get install espeak-ng to run the speech tests",
            required=False,
        )
    )
    return checks
