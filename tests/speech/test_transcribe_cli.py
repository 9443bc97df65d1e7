"""`portevoix ivr transcribe`: recordings made elsewhere, through the line's pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner, Result

from gateway.channels import build_runtime
from gateway.consultations import repository as consultations
from gateway.consultations.schema import Definition
from gateway.ivr.adapter import IVR
from gateway.runtime import Runtime
from gateway.store.models import Answer, AnswerStatus, Contribution, ContributionStatus
from tests.ivr.test_line import _evidence_roles
from tests.sms.conftest import Clock, make_sms_runtime

IDEA = "il faudrait des pistes cyclables sur la route de la gare"


def make_idea_box(runtime: Runtime) -> None:
    """A consultation whose one question is free text: a voicemail idea box."""
    definition = Definition.model_validate({
        "code": "IDEES", "title": {"fr": "Boîte à idées"}, "description": {"fr": "Vos idées"},
        "opens_at": "2026-01-01T00:00:00+01:00", "closes_at": "2027-12-31T00:00:00+01:00",
        "questions": [{"id": "idee", "type": "text", "required": True,
                       "text": {"fr": "Votre idée ?"}}],
    })  # fmt: skip
    with runtime.sessions() as session, session.begin():
        consultations.save_definition(session, definition)


def _run(runtime: Runtime, *args: str) -> Result:
    """`portevoix ivr …` on the runtime's store, with Whisper on."""
    settings = runtime.settings.model_copy(update={"stt_engine": "whisper"})
    return CliRunner().invoke(
        IVR.cli, list(args), obj=lambda: build_runtime(settings, dispatch=False)
    )


def _files(tmp_path: Path, speak: Callable[[str], bytes]) -> list[Path]:
    good, corrupt = tmp_path / "permanence.wav", tmp_path / "broken.wav"
    good.write_bytes(speak(IDEA))
    corrupt.write_bytes(b"RIFF\0\0\0\0WAVEjunk")
    return [good, corrupt]


def test_files_are_transcribed_with_their_confidences(
    tmp_path: Path,
    sqlite_url: str,
    clock: Clock,
    whisper_dir: Path,
    speak_kokoro: Callable[[str], bytes],
) -> None:
    runtime = make_sms_runtime(tmp_path, sqlite_url, whisper_model_dir=whisper_dir)
    good, corrupt = _files(tmp_path, speak_kokoro)
    result = _run(runtime, "transcribe", str(good), str(corrupt))
    runtime.close()
    assert result.exit_code == 1  # one file could not be read; the other went through
    assert f"{corrupt}: error: a WAV recording without format or data" in result.output
    line = next(row for row in result.output.splitlines() if row.startswith(str(good)))
    assert "faudrait des pistes" in line.lower() and "confidence 0." in line
    assert "pistes(" in line  # each word with its own confidence


def test_imported_files_wait_in_review_with_their_audio_once(
    tmp_path: Path,
    db_url: str,
    clock: Clock,
    whisper_dir: Path,
    speak_kokoro: Callable[[str], bytes],
) -> None:
    runtime = make_sms_runtime(tmp_path, db_url, whisper_model_dir=whisper_dir)
    make_idea_box(runtime)
    good, _ = _files(tmp_path, speak_kokoro)
    command = ["transcribe", str(good), "--consultation", "IDEES", "--question", "idee"]
    first, again = _run(runtime, *command), _run(runtime, *command)
    assert first.exit_code == 0, first.output
    assert "-> contribution" in first.output and "already imported" in again.output
    with runtime.sessions() as session:
        (contribution,) = session.scalars(select(Contribution)).all()
        answer = session.scalars(select(Answer)).one()
        assert contribution.status == ContributionStatus.REVIEW
        assert answer.status == AnswerStatus.REVIEW and "pistes" in answer.value.lower()
    assert {"recording", "transcript"} <= _evidence_roles(runtime, contribution.id)
    runtime.close()


def test_an_import_into_a_closed_question_is_refused(
    tmp_path: Path, sqlite_url: str, clock: Clock, whisper_dir: Path, speak: Callable[[str], bytes]
) -> None:
    runtime = make_sms_runtime(tmp_path, sqlite_url, whisper_model_dir=whisper_dir)
    good, _ = _files(tmp_path, speak)
    command = ["transcribe", str(good), "--consultation", "PARC", "--question", "priorite"]
    result = _run(runtime, *command)
    runtime.close()
    assert result.exit_code == 1 and "is not a free-text question" in result.output
