"""`portevoix doctor` proves the engine runs: it decodes a clip the package ships."""

from __future__ import annotations

from pathlib import Path

from gateway.config import Settings
from gateway.speech.engines import speech_checks


def test_doctor_hears_the_bundled_clip_with_whisper(whisper_dir: Path) -> None:
    checks = speech_checks(Settings(stt_engine="whisper", whisper_model_dir=whisper_dir))
    decoded = next(c for c in checks if c.what.startswith("speech to text decodes"))
    assert decoded.ok and "bonjour" in decoded.what.lower()


def test_no_engine_means_no_decoding_and_the_line_still_works(tmp_path: Path) -> None:
    checks = speech_checks(Settings(stt_engine="none", data_dir=tmp_path))
    assert not any(c.what.startswith("speech to text decodes") for c in checks)
    engine = checks[0]
    assert not engine.ok and not engine.required and "recordings wait" in engine.fix
