"""The `portevoix` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from gateway import audit, audit_anchor, channels
from gateway.config import Settings, get_settings
from gateway.consultations import repository as consultations
from gateway.consultations.loader import load_definition
from gateway.contributions import counts
from gateway.doctor import doctor_report
from gateway.errors import PortevoixError
from gateway.online.tokens import create_token, parse_scopes
from gateway.results import export as exports
from gateway.results import opendata, terminal
from gateway.results.cli import app as import_app
from gateway.results.report import pdf_report
from gateway.results.tally import tally
from gateway.runtime import Runtime
from gateway.staff.cli import app as users_app
from gateway.store.migrate import upgrade
from gateway.store.session import transaction
from mediation.cli import app as mediation_app

app = typer.Typer(
    help="Porte-voix: one store for every way residents take part.", no_args_is_help=True
)
consultation_app = typer.Typer(help="Define consultations.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for online participation.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit journal.", no_args_is_help=True)
app.add_typer(consultation_app, name="consultation")
app.add_typer(tokens_app, name="tokens")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.add_typer(import_app, name="import")
app.add_typer(mediation_app, name="mediation")

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"


def _runtime() -> Runtime:
    """A one-shot runtime: jobs stay pending for the serving process; close it after use."""
    return channels.build_runtime(get_settings(), dispatch=False)


@app.callback()
def _root(ctx: typer.Context) -> None:
    # Channel commands build their runtime through this, never from the environment.
    ctx.obj = _runtime


@app.command()
def init() -> None:
    """Create the data directory and bring the store to the latest schema."""
    settings = get_settings()
    _init_store(settings)
    typer.echo(f"store ready: {_safe_url(settings)}")


def _init_store(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with channels.build_runtime(settings, dispatch=False) as runtime:
        upgrade(runtime.engine)


def _safe_url(settings: Settings) -> str:
    url = settings.sqlalchemy_url
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


@consultation_app.command("load")
def consultation_load(file: Path) -> None:
    """Validate a definition file and load it (a new version if it changed)."""
    definition = load_definition(file)
    with _runtime() as runtime, transaction(runtime.sessions) as session:
        before = consultations.definition_by_code(session, definition.code)
        consultation, changed = consultations.save_definition(session, definition, str(file))
        version = consultation.version
        counts.regroup(session, consultation.id, before, definition)
    state = f"loaded as version {version}" if changed else f"unchanged (version {version})"
    typer.echo(f"{definition.code}: {state}")


@consultation_app.command("list")
def consultation_list() -> None:
    """List the consultations in the store."""
    with _runtime() as runtime, runtime.sessions() as session:
        rows = consultations.list_all(session)
        if not rows:
            typer.echo("no consultation yet: portevoix consultation load FILE")
        for row in rows:
            definition = consultations.definition_of(row)
            typer.echo(
                f"{row.code:<12} {row.kind:<13} v{row.version:<3} "
                f"{definition.opens_at:%Y-%m-%d} → {definition.closes_at:%Y-%m-%d}  "
                f"{definition.title.fr}"
            )


@app.command()
def results(
    code: str,
    format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Show the tally of a consultation."""
    if format not in ("table", "json"):
        raise PortevoixError(f"unknown format {format!r}: use table or json")
    with _runtime() as runtime, runtime.sessions() as session:
        threshold = runtime.settings.review_confidence_threshold
        result = tally(session, code, default_threshold=threshold)
    if format == "json":
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(terminal.table(result))


EXPORTS = ("contributions", "tallies", "decidim", "decidim-projects")


@app.command()
def export(
    code: str,
    out: Annotated[Path, typer.Option("--out", help="file to write")],
    format: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    what: Annotated[
        str,
        typer.Option(
            "--what",
            help="contributions (pseudonymous), tallies, decidim (survey answers in "
            "Decidim's shape) or decidim-projects (budget projects in Decidim's shape)",
        ),
    ] = "contributions",
    language: Annotated[str, typer.Option(help="fr or en: column names and labels")] = "fr",
) -> None:
    """Export pseudonymous contributions (participants re-hashed per export) or the tallies."""
    if format not in ("csv", "json"):
        raise PortevoixError(f"unknown format {format!r}: use csv or json")
    if what not in EXPORTS:
        raise PortevoixError(f"unknown export {what!r}: use {', '.join(EXPORTS)}")
    with _runtime() as runtime, runtime.sessions() as session:
        threshold = runtime.settings.review_confidence_threshold
        content = _export(session, code, what, format == "csv", language, threshold)
    out.write_text(content, encoding="utf-8")
    typer.echo(f"wrote {out}")


def _export(
    session: Session, code: str, what: str, as_csv: bool, language: str, threshold: float
) -> str:
    if what == "contributions":
        return (exports.to_csv if as_csv else exports.to_json)(session, code)
    if what == "decidim":
        if as_csv:
            return opendata.survey_to_csv(session, code, language)
        return opendata.survey_to_json(session, code, language)
    result = tally(session, code, language, default_threshold=threshold)
    if what == "tallies":
        return (exports.tally_to_csv if as_csv else exports.tally_to_json)(result)
    definition = consultations.definition_of(consultations.get(session, code))
    if as_csv:
        return opendata.projects_to_csv(result, definition)
    return opendata.projects_to_json(result, definition)


@app.command()
def report(
    code: str,
    out: Annotated[Path, typer.Option("--out", help="the PDF file to write")],
    language: Annotated[str, typer.Option(help="fr or en")] = "fr",
) -> None:
    """A printable PDF of the results for the conseil municipal: tallies, inclusion, method."""
    with _runtime() as runtime, runtime.sessions() as session:
        threshold = runtime.settings.review_confidence_threshold
        result = tally(session, code, language, default_threshold=threshold)
    out.write_bytes(pdf_report(result))
    typer.echo(f"wrote {out}")


@tokens_app.command("create")
def tokens_create(
    name: str,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            help="Grant a scope (repeat it, or a comma list): verified-phone lets a "
            "partner that checks phone numbers itself speak for a phone number"
        ),
    ] = None,
) -> None:
    """Create an API token; it is shown once."""
    scopes = parse_scopes(scope or [])
    with _runtime() as runtime, transaction(runtime.sessions) as session:
        token = create_token(session, name, scopes)
    typer.echo(token)


AnchorFile = Annotated[
    Path | None,
    typer.Option("--file", help="anchor file (default: PORTEVOIX_AUDIT_ANCHOR_FILE)"),
]


@audit_app.command("verify")
def audit_verify(file: AnchorFile = None) -> None:
    """Check the journal's chain, its latest anchor, and the store against the journal."""
    path = file or get_settings().audit_anchor_path
    anchor = audit_anchor.latest_anchor(path)
    with _runtime() as runtime, runtime.sessions() as session:
        report = audit.verify(session, anchor)
    if not report.ok:
        raise PortevoixError("\n  ".join(["audit verify failed:", *report.problems]))
    typer.echo(f"audit chain intact: {report.events} events")
    typer.echo(f"store matches the journal: {report.contributions} contributions")
    if report.unchecked:
        typer.echo(f"  of which {report.unchecked} recorded before content hashes: not checked")
    typer.echo(
        f"latest anchor ({anchor.events} events, {anchor.at:%Y-%m-%d %H:%M} UTC) is in the journal"
        if anchor
        else f"no anchor in {path} yet: tail deletion cannot be checked (portevoix audit anchor)"
    )


@audit_app.command("anchor")
def audit_anchor_command(file: AnchorFile = None) -> None:
    """Append the journal's event count and head hash to a file outside the database."""
    path = file or get_settings().audit_anchor_path
    with _runtime() as runtime, runtime.sessions() as session:
        anchor = audit_anchor.write_anchor(session, path)
    typer.echo(f"{anchor.events} events, head {anchor.head}")
    typer.echo(f"appended to {path}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="default: PORTEVOIX_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default: PORTEVOIX_PORT")] = None,
) -> None:
    """Serve every enabled channel, with in-process job workers."""
    settings = get_settings()
    _init_store(settings)
    _serve(settings, host or settings.host, port or settings.port)


@app.command()
def demo(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Initialise the store, load the example consultations and serve them."""
    settings = get_settings()
    _init_store(settings)
    for path in sorted(EXAMPLES_DIR.glob("*.yaml")):
        consultation_load(path)
    _serve(settings, host or settings.host, port or settings.port)


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from gateway.app import create_app

    base = f"http://{host}:{port}"
    typer.echo(f"Porte-voix on {base} (store: {_safe_url(settings)}, jobs: {settings.jobs})")
    for line in channel_urls(base, settings):
        typer.echo(f"  {line}")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def channel_urls(base: str, settings: Settings) -> list[str]:
    lines = [
        line for adapter in channels.enabled(settings) for line in adapter.urls(base, settings)
    ]
    home = f"residents      {base}/  (what is open, and every way to answer)"
    return [home, *lines, f"staff pages    {base}/staff/", f"health         {base}/healthz"]


@app.command()
def doctor() -> None:
    """Say, for each channel, whether it is enabled and ready, and what is missing."""
    report = doctor_report(get_settings())
    typer.echo(report.text())
    if not report.ok:
        raise typer.Exit(1)


def _add_channel_commands() -> None:
    """`portevoix <channel> …` for each enabled channel that has commands."""
    try:
        enabled = channels.enabled(get_settings())
    except (ValidationError, PortevoixError):
        return  # The command run will report the settings error itself.
    for adapter in enabled:
        if adapter.cli is not None:
            app.add_typer(adapter.cli, name=adapter.channel.value)


def main() -> None:
    _add_channel_commands()
    try:
        # Without standalone mode click returns a command's exit code instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except PortevoixError as error:
        _fail(str(error))
    except ValidationError as error:
        _fail(f"settings: {error.errors()[0]['msg'].removeprefix('Value error, ')}")
    except (OperationalError, ProgrammingError) as error:
        _fail(f"the store is not ready ({error.orig}); run: portevoix init")
    except (typer.Abort, KeyboardInterrupt):
        _fail("aborted")
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except Exception as error:
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(error.exit_code)
        raise


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    sys.exit(1)
