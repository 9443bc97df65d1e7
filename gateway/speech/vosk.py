"""Vosk (Kaldi) with a model directory a commune installs, e.g. vosk-model-small-fr-0.22.

Fast on a small CPU, and its grammar mode suits closed answers: given the allowed
phrases, the decoder can only hear those, or "[unk]" for anything else, which is
read as nothing heard. A model without "[unk]" in its vocabulary (the Korean model
the tests use) would force any speech onto the nearest allowed phrase, with full
confidence: measured, "둘" (two) came out as "네" (yes), at 0.88 to 1.0. With such a model
the engine transcribes freely and the answer reader decides, as for Whisper.

No French model ships through a package registry, so the model is a configured
path (`PORTEVOIX_VOSK_MODEL`), checked before it is loaded.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gateway.speech import SAMPLE_RATE, SpeechUnavailable, Transcript, Word

# What Vosk writes for speech outside the grammar.
UNKNOWN = "[unk]"
# Files every Vosk model directory has: the acoustic model and its configuration.
MODEL_FILES = ("am/final.mdl", "conf/model.conf")


def installed() -> bool:
    return importlib.util.find_spec("vosk") is not None


def check_model(directory: Path | None) -> Path:
    """The model directory, or SpeechUnavailable saying what is missing."""
    if directory is None:
        raise SpeechUnavailable(
            "no Vosk model configured: set PORTEVOIX_VOSK_MODEL to the directory of "
            "vosk-model-small-fr-0.22 (or another Vosk model)"
        )
    missing = [name for name in MODEL_FILES if not (directory / name).is_file()]
    if missing:
        raise SpeechUnavailable(f"{directory} is not a Vosk model: {', '.join(missing)} missing")
    return directory


class VoskEngine:
    """Vosk on the CPU; one model per process, one recogniser per call."""

    name = "vosk"

    def __init__(self, directory: Path | None) -> None:
        if not installed():
            raise SpeechUnavailable("Vosk is not installed: pip install 'portevoix[speech]'")
        import vosk

        vosk.SetLogLevel(-1)
        self._vosk: Any = vosk
        self._model = vosk.Model(str(check_model(directory)))
        # Only a grammar with a way out ("[unk]") can say "none of these".
        self.grammar_safe = self._model.vosk_model_find_word(UNKNOWN) != -1
        # Free the model while the library is still loaded: at interpreter teardown
        # Vosk's own finaliser finds its C bindings gone and prints a traceback.
        atexit.register(self._release)

    def _release(self) -> None:
        self._model = None

    def transcribe(
        self, pcm: bytes, language: str, allowed: Mapping[str, str] | None = None
    ) -> Transcript:
        """`language` is the model's own: a Vosk model hears one language."""
        return self.decode(pcm, list(allowed) if allowed and self.grammar_safe else None)

    def decode(self, pcm: bytes, grammar: Sequence[str] | None) -> Transcript:
        """Decode freely, or within `grammar` (plus "[unk]" when the model has it)."""
        if grammar:
            way_out = [UNKNOWN] if self.grammar_safe else []
            phrases = json.dumps([*dict.fromkeys(grammar), *way_out], ensure_ascii=False)
            recogniser = self._vosk.KaldiRecognizer(self._model, SAMPLE_RATE, phrases)
        else:
            recogniser = self._vosk.KaldiRecognizer(self._model, SAMPLE_RATE)
        recogniser.SetWords(True)
        recogniser.AcceptWaveform(pcm)
        return self._transcript(json.loads(recogniser.FinalResult()))

    def _transcript(self, result: dict[str, Any]) -> Transcript:
        heard = [
            Word(w["word"], round(w["start"], 2), round(w["end"], 2), round(w["conf"], 3))
            for w in result.get("result", [])
        ]
        if any(word.text == UNKNOWN for word in heard):
            # Something outside the allowed answers was said: not an answer at all.
            return Transcript("", 0.0, heard, self.name)
        confidence = sum(w.confidence for w in heard) / len(heard) if heard else 0.0
        return Transcript(" ".join(w.text for w in heard), round(confidence, 3), heard, self.name)
