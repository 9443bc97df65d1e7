"""Phone recordings converted to what engines hear."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gateway.config import Settings
from gateway.speech import SpeechUnavailable
from gateway.speech.wav import BadAudio, check_audio, read_wav
from tests.speech.phone import make_wav

audio = pytest.importorskip("gateway.speech.audio")


def test_mu_law_round_trips_within_its_step() -> None:
    samples = np.linspace(-1, 1, 4001, dtype=np.float32)
    codes = np.frombuffer(audio.mu_law_encode(samples), np.uint8)
    back = audio.mu_law_decode(codes)
    quiet = np.abs(samples) < 0.01
    assert np.max(np.abs(back - samples)) < 0.02
    assert np.max(np.abs(back - samples)[quiet]) < 0.0005  # μ-law is fine where speech is soft


def test_an_8k_mu_law_clip_becomes_16k_mono_pcm_padded_to_two_seconds() -> None:
    tone = np.sin(2 * np.pi * 440 * np.arange(4000) / 8000).astype(np.float32) * 0.5
    wav = make_wav(audio.mu_law_encode(tone), encoding=7, sample_bytes=1)
    pcm = np.frombuffer(audio.to_pcm16k(wav), "<i2")
    assert len(pcm) == 2 * 16_000  # half a second, padded
    assert np.all(pcm[:8000] == 0) and np.all(pcm[-8000:] == 0)
    middle = pcm[12_000:20_000].astype(np.float32) / 32768
    assert 0.3 < np.sqrt(np.mean(middle**2)) * np.sqrt(2) < 0.6  # the tone's amplitude kept


def test_a_long_clip_is_not_padded() -> None:
    wav = make_wav(np.full(3 * 8000, 1000, "<i2").tobytes())
    assert len(audio.to_pcm16k(wav)) == 2 * 3 * 16_000


@pytest.mark.parametrize(
    ("recording", "reason"),
    [
        (b"", "not a WAV"),
        (b"RIFF\0\0\0\0WAVEjunk", "without format"),
        (make_wav(b"\0" * 1600), "empty"),
        (make_wav(b"\xff" * 800, encoding=7, sample_bytes=1), "empty"),  # μ-law silence
        (make_wav(b"\x01\x02", encoding=3), "unsupported"),
    ],
)
def test_unreadable_or_silent_recordings_are_refused(recording: bytes, reason: str) -> None:
    with pytest.raises(BadAudio, match=reason):
        check_audio(recording)


def test_a_pcm_header_is_read() -> None:
    wav = read_wav(make_wav(b"\0\1" * 10))
    assert (wav.rate, wav.frames, wav.encoding) == (8000, 10, 1)


def test_doctor_refuses_a_whisper_model_that_is_not_the_published_one(tmp_path: Path) -> None:
    from gateway.speech import whisper
    from gateway.speech.engines import speech_checks

    for name in ("model.bin", *whisper.MODEL_FILES):
        (tmp_path / name).write_bytes(b"{}")
    (tmp_path / whisper.VERIFIED_MARK).write_text(whisper.MODEL_SHA256)
    settings = Settings(stt_engine="whisper", whisper_model_dir=tmp_path)
    model = next(c for c in speech_checks(settings) if c.what.startswith("Whisper model"))
    assert not model.ok and model.required and "setup-speech" in model.fix
    with pytest.raises(SpeechUnavailable, match="no checked Whisper model"):
        whisper.WhisperEngine(tmp_path / "elsewhere")
