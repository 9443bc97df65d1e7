"""`portevoix mediation`: the review queue's counts, the journal's export, the mandates.

The same readings, with the same filters, as the staff pages; nothing here decides.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from gateway.adapter import cli_runtime
from gateway.errors import PortevoixError
from gateway.mandates import repository as mandates
from gateway.mandates.repository import Listed, MandateFilters
from gateway.store.base import utcnow
from mediation import journal, queue
from mediation.queue import Filters

app = typer.Typer(help="Mediation: the review queue, the journal, mandates.", no_args_is_help=True)

Consultation = Annotated[str, typer.Option("--consultation", help="a consultation's code")]
Channel = Annotated[str, typer.Option("--channel", help="sms, ivr, kiosk, paper or online")]
Reason = Annotated[str, typer.Option("--reason", help=f"one of: {', '.join(queue.REASONS)}")]
When = Annotated[datetime | None, typer.Option(help="UTC, e.g. 2026-12-01T08:00")]


@app.command("queue")
def queue_counts(
    ctx: typer.Context, consultation: Consultation = "", channel: Channel = "", reason: Reason = ""
) -> None:
    """Count the items waiting in review, per reason and channel."""
    if reason and reason not in queue.REASONS:
        raise PortevoixError(f"unknown reason {reason!r}: use {', '.join(queue.REASONS)}")
    filters = Filters(consultation.upper(), channel, reason)
    with cli_runtime(ctx) as runtime, runtime.sessions() as session:
        items = queue.queue(session, filters, utcnow(), limit=None)
    counts = Counter((item.reason, item.channel) for item in items)
    for (why, where), count in sorted(counts.items()):
        typer.echo(f"{why:<16} {where:<8} {count:>6}")
    typer.echo(f"{'total':<25} {len(items):>6}")


@app.command("journal")
def journal_export(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option("--out", help="CSV file (default: stdout)")] = None,
    actor: Annotated[str, typer.Option(help="who, e.g. staff:alice")] = "",
    action: Annotated[str, typer.Option(help="what, or its start: answer., review.")] = "",
    contribution: Annotated[str, typer.Option(help="a contribution's number")] = "",
    since: When = None,
    until: When = None,
) -> None:
    """Export the audit journal as CSV, oldest first, each event with its hash."""
    filters = journal.JournalFilters(actor, action, contribution, since, until)
    with cli_runtime(ctx) as runtime, runtime.sessions() as session:
        text = "".join(journal.as_csv(journal.events(session, filters, limit=None)))
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}", err=True)


@app.command("mandates")
def mandate_list(
    ctx: typer.Context,
    consultation: Consultation = "",
    mediateur: Annotated[str, typer.Option(help="a médiateur's login")] = "",
    kiosk: Annotated[str, typer.Option(help="a kiosk's id")] = "",
    day: Annotated[str, typer.Option(help="the day it started, YYYY-MM-DD (UTC)")] = "",
) -> None:
    """List the mandates recorded at kiosks, newest first, with revocations."""
    filters = MandateFilters(consultation, mediateur, kiosk, _day(day))
    with cli_runtime(ctx) as runtime, runtime.sessions() as session:
        rows = mandates.mandates(session, filters)
        total, revoked = mandates.counts(session, filters)
        lines = [_mandate_line(row) for row in rows]
    typer.echo("\n".join([*lines, f"{total} mandates, {revoked} revoked"]))


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise PortevoixError(f"--day {text!r}: write it YYYY-MM-DD") from None


def _mandate_line(row: Listed) -> str:
    mandate = row.mandate
    contribution = f"c{mandate.contribution_id} ({row.contribution_status})"
    revoked = f"revoked by {mandate.revoked_by}: {mandate.revoke_reason}"
    return "  ".join((
        f"{mandate.id:>5}", f"{mandate.started_at:%Y-%m-%d %H:%M}", mandate.kiosk_id,
        row.mediateur, row.consultation, mandate.consent,
        contribution if mandate.contribution_id else "-", revoked if mandate.revoked_at else "",
    )).rstrip()  # fmt: skip
