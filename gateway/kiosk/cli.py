"""`portevoix kiosk …`: register the touchscreens residents use."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway.adapter import cli_runtime
from gateway.kiosk import repository, service
from gateway.store.session import transaction

app = typer.Typer(help="The kiosk channel.", no_args_is_help=True)


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="a name staff recognise, e.g. mairie-accueil")],
    place: Annotated[str, typer.Option("--place", help="where it stands")],
) -> None:
    """Register a kiosk and print the address to open on it."""
    with cli_runtime(ctx) as runtime, transaction(runtime.sessions) as session:
        kiosk = service.register(session, name, place)
        base = runtime.settings.public_url.rstrip("/")
        typer.echo(f"kiosk {kiosk.name} ({kiosk.place}): {base}/kiosk/{kiosk.id}")


@app.command("list")
def list_kiosks(ctx: typer.Context) -> None:
    """List the kiosks and their addresses."""
    with cli_runtime(ctx) as runtime, transaction(runtime.sessions) as session:
        for kiosk in repository.list_kiosks(session):
            typer.echo(f"{kiosk.id}  {kiosk.name}  ({kiosk.place})")
