"""Phone recordings to what engines hear: 16 kHz mono 16-bit PCM, padded with silence.

Twilio hands recordings over as WAV, 8 kHz linear PCM or G.711 μ-law. Whisper
invents words or returns nothing for a clip of a single short word, so short
clips get silence on both sides.
"""

from __future__ import annotations

import numpy as np
import soxr

from gateway.speech import SAMPLE_RATE
from gateway.speech.wav import MU_LAW, Wav, read_wav

# Clips shorter than this are padded up to it, half the silence on each side.
SHORTEST_CLIP_SECONDS = 2.0


def to_pcm16k(audio: bytes) -> bytes:
    """A WAV recording as 16 kHz mono 16-bit PCM, short clips padded with silence."""
    wav = read_wav(audio)
    samples = _samples(wav).reshape(-1, wav.channels).mean(axis=1)
    if wav.rate != SAMPLE_RATE:
        samples = soxr.resample(samples, wav.rate, SAMPLE_RATE)
    return _pcm(pad(samples))


def pad(samples: np.ndarray) -> np.ndarray:
    """Silence around a clip shorter than SHORTEST_CLIP_SECONDS."""
    missing = int(SHORTEST_CLIP_SECONDS * SAMPLE_RATE) - len(samples)
    if missing <= 0:
        return samples
    return np.pad(samples, (missing // 2, missing - missing // 2))


def _samples(wav: Wav) -> np.ndarray:
    """Samples as float32 in [-1, 1]."""
    raw = np.frombuffer(wav.data[: wav.frames * wav.channels * wav.sample_bytes], np.uint8)
    if wav.encoding == MU_LAW:
        return mu_law_decode(raw)
    if wav.sample_bytes == 1:
        return (raw.astype(np.float32) - 128) / 128
    return np.frombuffer(raw.tobytes(), "<i2").astype(np.float32) / 32768


def mu_law_decode(codes: np.ndarray) -> np.ndarray:
    """G.711 μ-law bytes to float32 samples in [-1, 1]."""
    inverted = ~codes.astype(np.uint8)
    sign = np.where(inverted & 0x80, -1.0, 1.0)
    exponent = (inverted >> 4) & 0x07
    mantissa = inverted & 0x0F
    magnitude = (((mantissa.astype(np.int32) << 3) + 0x84) << exponent) - 0x84
    decoded: np.ndarray = (sign * magnitude / 32768).astype(np.float32)
    return decoded


def mu_law_encode(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] to G.711 μ-law bytes (what a phone line carries)."""
    value = np.clip(samples * 32768, -32635, 32635).astype(np.int32)
    sign = np.where(value < 0, 0x80, 0)
    magnitude = np.abs(value) + 0x84
    exponent = np.floor(np.log2(magnitude >> 7)).astype(np.int32).clip(0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return bytes((~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes())


def _pcm(samples: np.ndarray) -> bytes:
    return bytes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
