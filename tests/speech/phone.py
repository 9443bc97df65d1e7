"""French test speech: espeak-ng, then a simulated phone line, as Twilio would record it."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soxr

from gateway.speech.audio import mu_law_encode
from gateway.speech.wav import read_wav

PHONE_RATE = 8_000
BAND_HZ = (300, 3_400)


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def phone_clip(text: str, cache: Path, *, mu_law: bool = True) -> bytes:
    """`text` spoken by espeak-ng in French over a phone line, as WAV; cached by text."""
    key = hashlib.sha256(f"{text}|{mu_law}".encode()).hexdigest()[:16]
    path = cache / f"{key}.wav"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_phone_line(_espeak(text), mu_law))
    return path.read_bytes()


def _espeak(text: str) -> bytes:
    spoken = subprocess.run(
        ["espeak-ng", "-v", "fr", "-s", "150", "--stdout", text], check=True, capture_output=True
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
