"""The configured speech engine, loaded once per process, and what `doctor` says of it."""

from __future__ import annotations

import functools
from pathlib import Path

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
