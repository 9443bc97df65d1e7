"""Closed answers said aloud and heard by Whisper scoring the allowed phrases.

The table `gateway.speech.choosing` takes its thresholds from: each saying in
Kokoro's realistic voice and in robotic espeak-ng, through the simulated phone line
(300-3400 Hz, 8 kHz μ-law), against a question of the park consultation, plus
silence and line noise. Per clip: the answer chosen (or unsure), its margin over the
next answer and its gap to Whisper's free transcription, and the time taken. Then,
per kind of clip: right, unsure (the keypad) and wrong (the figure that must stay 0).
Baseline in the same run: the same clips transcribed freely and read by the answer
reader above the line's confidence (what the line did before), with its time.
Usage: python -m bench.closed_answers
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from gateway.consultations.loader import load_definition
from gateway.dialogue.reading import allowed_answers, read_answer
from gateway.speech.audio import mu_law_encode, to_pcm16k
from gateway.speech.choosing import GAP, MARGIN
from tests.helpers import PARC
from tests.speech.phone import make_wav, phone_clip

# (what is said, question id, kind of clip); the answer meant is what the reader
# makes of the words said, none for a saying outside the list.
SAYINGS = (
    ("oui", "frequentation", "yes/no"),
    ("non", "frequentation", "yes/no"),
    ("non merci", "frequentation", "yes/no"),
    ("pas du tout", "frequentation", "yes/no"),
    ("d'accord", "frequentation", "yes/no"),
    ("planter des arbres", "priorite", "label"),
    ("des jeux pour enfants", "priorite", "label"),
    ("plus de bancs", "priorite", "label"),
    ("éclairage", "priorite", "label"),
    ("bancs", "priorite", "label"),
    ("deux", "priorite", "position"),
    ("trois", "priorite", "position"),
    ("le premier", "priorite", "position"),
    ("le quatrième", "priorite", "position"),
    ("le deux", "priorite", "said around"),
    ("plutôt les bancs", "priorite", "said around"),
    ("je ne sais pas", "priorite", "off the list"),
    ("une fontaine", "priorite", "off the list"),
    ("un grand parking", "priorite", "off the list"),
    ("peut-être", "frequentation", "off the list"),
    ("je ne sais pas", "frequentation", "off the list"),
)
VOICES = ("kokoro", "fr")
LINE_RATE = 8_000
# The line's default threshold for a spoken answer (ivr_speech_confidence), for the baseline.
LINE_CONFIDENCE = 0.6


def main() -> None:
    from gateway.speech.whisper import WhisperEngine, install_model

    with tempfile.TemporaryDirectory() as tmp:
        engine = WhisperEngine(install_model(Path(tmp) / "whisper"))
        cache = Path(tmp) / "clips"
        clips = [(said, q, kind, voice, phone_clip(said, cache, voice=voice))
                 for voice in VOICES for said, q, kind in SAYINGS]  # fmt: skip
        questions = ("frequentation", "priorite")
        clips += [("", q, kind, "-", clip) for kind, clip in _not_speech() for q in questions]
        rows = [_row(engine, *clip) for clip in clips]
    print(json.dumps(_report(rows), indent=1, ensure_ascii=False))


def _not_speech() -> list[tuple[str, bytes]]:
    noise = np.random.default_rng(7).normal(0, 0.05, LINE_RATE * 2).astype(np.float32)
    silence = np.zeros(LINE_RATE * 2, np.float32)
    return [(kind, make_wav(mu_law_encode(samples), encoding=7, sample_bytes=1))
            for kind, samples in (("silence", silence), ("noise", noise))]  # fmt: skip


def _row(
    engine: Any, said: str, question_id: str, kind: str, voice: str, clip: bytes
) -> dict[str, Any]:
    question = load_definition(PARC).question(question_id)
    assert question is not None
    allowed = allowed_answers(question)
    samples = np.frombuffer(to_pcm16k(clip), "<i2").astype(np.float32) / 32768
    started = time.perf_counter()
    choice = engine.chooser.choose(samples, "fr", allowed)
    seconds = time.perf_counter() - started
    free = engine.transcribe(to_pcm16k(clip), "fr")
    free_seconds = time.perf_counter() - started - seconds
    meant = read_answer(question, said) if said else None
    read = read_answer(question, free.text)
    sure = read.clear and free.confidence >= LINE_CONFIDENCE
    read_value = str(read.value) if sure else None
    chosen = allowed[choice.phrase] if choice.phrase else None
    return {"voice": voice, "said": said, "question": question_id, "kind": kind,
            "heard": choice.phrase, "margin": round(choice.margin, 2), "gap": round(choice.gap, 2),
            "outcome": _outcome(chosen, meant), "seconds": round(seconds, 2),
            "free": free.text, "free_outcome": _outcome(read_value, meant),
            "free_seconds": round(free_seconds, 2)}  # fmt: skip


def _outcome(chosen: str | None, meant: Any) -> str:
    if chosen is None:
        return "unsure"
    return "right" if meant is not None and chosen == str(meant.value) else "wrong"


def _report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "thresholds": {"margin": MARGIN, "gap": GAP},
        "scoring_allowed_phrases": _tally(rows, "outcome", "seconds"),
        "baseline_free_transcription": _tally(rows, "free_outcome", "free_seconds"),
        "clips": rows,
    }


def _tally(rows: list[dict[str, Any]], outcome: str, timing: str) -> dict[str, Any]:
    table: dict[str, Counter[str]] = {}
    for row in rows:
        table.setdefault(f"{row['voice']} {row['kind']}", Counter())[row[outcome]] += 1
    seconds = sorted(row[timing] for row in rows)
    return {
        "per_kind": {kind: dict(counts) for kind, counts in table.items()},
        "total": dict(Counter(row[outcome] for row in rows)),
        "seconds_per_answer": {"median": statistics.median(seconds), "max": seconds[-1]},
    }


if __name__ == "__main__":
    main()
