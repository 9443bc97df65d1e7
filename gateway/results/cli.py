"""`portevoix import decidim|csv FILE`: online participation from other platforms."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.adapter import cli_runtime
from gateway.deps import door_policy
from gateway.errors import PortevoixError
from gateway.results.imports.run import Source, import_file, suggest_mapping

app = typer.Typer(help="Import participation from other platforms.", no_args_is_help=True)

Consultation = Annotated[str, typer.Option("--consultation", help="the consultation's code")]
MappingFile = Annotated[
    Path | None, typer.Option("--mapping", help="YAML: columns and labels to questions and options")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="read and report, store nothing")]
Separator = Annotated[
    str | None, typer.Option("--separator", help="CSV separator (Decidim: ';', generic: ',')")
]
Encoding = Annotated[str, typer.Option("--encoding", help="e.g. latin-1 for a re-saved file")]
Suggest = Annotated[
    Path | None,
    typer.Option("--suggest-mapping", help="write a draft mapping to this file, import nothing"),
]


@app.command("decidim")
def import_decidim(
    ctx: typer.Context,
    file: Path,
    consultation: Consultation,
    mapping: MappingFile = None,
    dry_run: DryRun = False,
    separator: Separator = None,
    encoding: Encoding = "utf-8",
    suggest_mapping: Suggest = None,
) -> None:
    """Survey answers, budget projects or paper-ballot totals exported by Decidim (CSV, JSON)."""
    source = Source(file, "decidim", separator, encoding, mapping)
    _run(ctx, source, consultation, dry_run, suggest_mapping)


@app.command("csv")
def import_csv(
    ctx: typer.Context,
    file: Path,
    consultation: Consultation,
    mapping: MappingFile = None,
    dry_run: DryRun = False,
    separator: Separator = None,
    encoding: Encoding = "utf-8",
    suggest_mapping: Suggest = None,
) -> None:
    """Answers from any platform, one row per respondent, read with a mapping file."""
    source = Source(file, "csv", separator, encoding, mapping)
    _run(ctx, source, consultation, dry_run, suggest_mapping)


def _run(
    ctx: typer.Context, source: Source, code: str, dry_run: bool, suggest_to: Path | None
) -> None:
    if not source.path.is_file():
        raise PortevoixError(f"{source.path}: no such file")
    with cli_runtime(ctx) as runtime, runtime.sessions() as session:
        if suggest_to is not None:
            suggest_to.write_text(suggest_mapping(session, source, code), encoding="utf-8")
            typer.echo(f"wrote {suggest_to}: check it, then pass it with --mapping")
            return
        report = import_file(session, source, code, door_policy(runtime), dry_run)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    typer.echo(report.text())
