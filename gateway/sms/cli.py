"""`portevoix sms …`: simulate a resident, check message costs, send invitations."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer

from gateway.adapter import cli_runtime
from gateway.errors import PortevoixError
from gateway.sms.check import costly_messages
from gateway.sms.outbound import queue_invitations, read_numbers
from gateway.sms.service import InboundSms, handle_inbound, read_body
from gateway.store.session import transaction
from gateway.text import UnsafeText

app = typer.Typer(help="The SMS channel.", no_args_is_help=True)


@app.command()
def simulate(
    ctx: typer.Context,
    body: Annotated[str, typer.Argument(help="the text the resident sends")],
    sender: Annotated[str, typer.Option("--from", help="the resident's number")] = "+33600000000",
) -> None:
    """Send one SMS through the real engine as a resident would, and print the replies."""
    try:
        message = InboundSms(f"SMsim{uuid.uuid4().hex}", sender, read_body(body))
    except UnsafeText as error:
        raise PortevoixError(f"the text to send: {error}") from None
    with cli_runtime(ctx) as runtime, transaction(runtime.sessions) as session:
        reply = handle_inbound(session, runtime, message)
    for text in reply.messages:
        typer.echo(text)
        typer.echo("---")
    if not reply.messages:
        typer.echo(f"(no reply: {reply.outcome})")


@app.command()
def check(ctx: typer.Context, code: str) -> None:
    """List every message of a consultation that costs more than one SMS segment."""
    with cli_runtime(ctx) as runtime, runtime.sessions() as session:
        costly = costly_messages(session, code)
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
    ctx: typer.Context,
    code: str,
    numbers: Annotated[Path, typer.Option("--numbers", help="CSV file with a phone column")],
    language: Annotated[str, typer.Option(help="language of the invitation")] = "fr",
) -> None:
    """Queue an invitation to each number; the serving process sends them outside quiet hours."""
    with cli_runtime(ctx) as runtime, transaction(runtime.sessions) as session:
        settings = runtime.settings
        report = queue_invitations(session, settings, code, read_numbers(numbers), language)
    typer.echo(
        f"queued {report.queued}, already queued {report.already_queued}, "
        f"opted out {report.opted_out}, not a phone number {len(report.invalid)}"
    )
    for raw in report.invalid[:20]:
        typer.echo(f"  not a phone number: {raw!r}")
