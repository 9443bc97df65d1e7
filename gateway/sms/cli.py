"""`portevoix sms …`: simulate a resident, check message costs, send invitations."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer

from gateway.config import get_settings
from gateway.errors import PortevoixError
from gateway.runtime import build_runtime
from gateway.sms.check import costly_messages
from gateway.sms.outbound import queue_invitations, read_numbers
from gateway.sms.service import InboundSms, handle_inbound, read_body
from gateway.store.session import transaction
from gateway.text import UnsafeText

app = typer.Typer(help="The SMS channel.", no_args_is_help=True)


@app.command()
def simulate(
    body: Annotated[str, typer.Argument(help="the text the resident sends")],
    sender: Annotated[str, typer.Option("--from", help="the resident's number")] = "+33600000000",
) -> None:
    """Send one SMS through the real engine as a resident would, and print the replies."""
    try:
        message = InboundSms(f"SMsim{uuid.uuid4().hex}", sender, read_body(body))
    except UnsafeText as error:
        raise PortevoixError(f"the text to send: {error}") from None
    runtime = build_runtime(get_settings(), dispatch=False)
    try:
        with transaction(runtime.sessions) as session:
            reply = handle_inbound(session, runtime, message)
    finally:
        runtime.close()
    for text in reply.messages:
        typer.echo(text)
        typer.echo("---")
    if not reply.messages:
        typer.echo(f"(no reply: {reply.outcome})")


@app.command()
def check(code: str) -> None:
    """List every message of a consultation that costs more than one SMS segment."""
    runtime = build_runtime(get_settings(), dispatch=False)
    try:
        with runtime.sessions() as session:
            costly = costly_messages(session, code)
    finally:
        runtime.close()
    if not costly:
        typer.echo(f"{code.upper()}: every message fits in one SMS segment")
        return
    for item in costly:
        typer.echo(
            f"[{item.language}] {item.name}: {item.info.segments} segments, "
            f"{item.info.encoding.value}, {item.info.units} units"
        )
        typer.echo(f"    {item.text!r}")
        if item.proposal is not None:
            typer.echo(f"    GSM-7 version ({item.proposal_segments} segments): {item.proposal!r}")


@app.command()
def invite(
    code: str,
    numbers: Annotated[Path, typer.Option("--numbers", help="CSV file with a phone column")],
    language: Annotated[str, typer.Option(help="language of the invitation")] = "fr",
) -> None:
    """Queue an invitation to each number; the serving process sends them outside quiet hours."""
    settings = get_settings()
    runtime = build_runtime(settings, dispatch=False)
    try:
        with transaction(runtime.sessions) as session:
            report = queue_invitations(session, settings, code, read_numbers(numbers), language)
    finally:
        runtime.close()
    typer.echo(
        f"queued {report.queued}, already queued {report.already_queued}, "
        f"opted out {report.opted_out}, not a phone number {len(report.invalid)}"
    )
    for raw in report.invalid[:20]:
        typer.echo(f"  not a phone number: {raw!r}")
