"""Speech to text, shared by the phone line and the local audio import.

An engine turns 16 kHz mono speech into a `Transcript`. Engines are plug-ins
behind `SpeechEngine`; `gateway.speech.engines` picks the configured one. What an
engine hears is never published as it stands: a free-text transcript is a
proposal for a person who listens to the audio in review.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from gateway.errors import PortevoixError

SAMPLE_RATE = 16_000


class SpeechUnavailable(PortevoixError):
    """The configured engine cannot run: a package or its model is missing or altered."""


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float
    words: list[Word] = field(default_factory=list)
    engine: str = ""

    def as_json(self) -> dict[str, Any]:
        """The transcript as stored beside the audio, per-word confidences included."""
        return asdict(self)


class SpeechEngine(Protocol):
    """A speech-to-text engine.

    `name` identifies the engine in transcripts and in `portevoix doctor`.

    `transcribe(pcm, language, allowed)` receives `pcm`, signed 16-bit little-endian
    samples at 16 kHz, one channel (`gateway.speech.audio.to_pcm16k` converts phone
    recordings), already padded with silence when short; `language`, an ISO 639-1
    code such as "fr"; and for a closed question `allowed`, the phrases that answer
    it (option labels, synonyms, positions), folded to lower case, each mapped to the
    answer it stands for (phrases of one answer are not rivals). An engine hears
    only those phrases when it can: Vosk restricts its decoder to them (a grammar),
    Whisper scores each against the audio and keeps a clear winner. An engine that
    can do neither transcribes freely, and `gateway.dialogue.reading` keeps only a
    clear answer. Either way a phrase outside `allowed` is never forced onto the
    nearest one: an unsure hearing is an empty text with confidence 0.
    It returns the text heard, an overall confidence
    in [0, 1] and each word with its start and end in seconds and its own
    confidence in [0, 1]. Silence gives an empty text with confidence 0. It must
    not guess to fill a gap: a low confidence is the honest answer. It raises
    `SpeechUnavailable` when the engine cannot run at all. An engine is built once
    per process (loading a model takes seconds) and may be called from several
    job threads, one call at a time or concurrently as the engine allows.
    """

    name: str

    def transcribe(
        self, pcm: bytes, language: str, allowed: Mapping[str, str] | None = None
    ) -> Transcript: ...
