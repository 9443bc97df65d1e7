"""`portevoix paper …`: print forms and ballots, write their layout, scan batches."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.adapter import cli_runtime
from gateway.consultations import repository as consultations
from gateway.errors import PortevoixError
from gateway.jobs import run_job
from gateway.paper_ocr import codes, images, marks, printing, service
from gateway.paper_ocr import repository as paper
from gateway.paper_ocr.layout import Layout
from gateway.runtime import Runtime
from gateway.store.session import transaction

app = typer.Typer(help="The paper channel: forms, ballots and scans.", no_args_is_help=True)


def _layout(runtime: Runtime, code: str) -> Layout:
    with transaction(runtime.sessions) as session:
        consultation = consultations.get(session, code.upper())
        definition = consultations.definition_of(consultation)
        return service.layout_of(consultation.definition_hash, definition)


@app.command("print")
def print_forms(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="the consultation's code")],
    out: Annotated[Path, typer.Option("--out", help="the PDF to write")],
    copies: Annotated[int, typer.Option("--copies", min=1, max=100_000)] = 1,
    test_deck: Annotated[
        bool, typer.Option("--test-deck", help="blank copies marked TEST, read but never counted")
    ] = False,
) -> None:
    """Print COPIES copies of a consultation's form (a ballot for a vote), each with its serial."""
    with cli_runtime(ctx) as runtime:
        layout = _layout(runtime, code)
        key = codes.mac_key(runtime.settings.secret)
    with out.open("wb") as handle:
        printing.print_copies(layout, key, copies, handle, test=test_deck)
    kind = "ballot" if layout.ballot else "form"
    typer.echo(f"{copies} {kind}(s) of {len(layout.pages)} page(s) written to {out}")


@app.command()
def layout(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="the consultation's code")],
    out: Annotated[Path, typer.Option("--out", help="the JSON file to write")],
) -> None:
    """Write where every box of the printed form is, in PDF points from the top-left corner."""
    with cli_runtime(ctx) as runtime:
        document = _layout(runtime, code).as_json()
    out.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    typer.echo(f"layout of {document['consultation']} written to {out}")


@app.command()
def scan(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="PNG, JPEG, TIFF or PDF files", exists=True)],
    batch: Annotated[
        str | None, typer.Option("--batch", help="a batch given again resumes")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per page")] = False,
    collected_on: Annotated[
        str | None,
        typer.Option(
            "--collected-on",
            help="when the paper was collected, YYYY-MM-DD[THH:MM] (default: now); "
            "a date alone is the end of that day",
        ),
    ] = None,
) -> None:
    """Store every page of the files as evidence, read each once, record the copies.

    Copies count if their paper was collected while the consultation was open, however
    late they are scanned.
    """
    name = batch or f"scan-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    with cli_runtime(ctx) as runtime:
        zone = runtime.settings.paper_timezone
        collected = service.collection_time(collected_on, zone) if collected_on else None
        opened = service.open_batch(runtime, name, "cli", collected)
        outcomes = _store(runtime, opened, paths)
        _read(runtime, opened.id)
        lines = _page_lines(runtime, outcomes)
    for line in lines:
        typer.echo(json.dumps(line, ensure_ascii=False) if as_json else _summary(line))
    failed = [o for o in outcomes if o.error]
    for outcome in failed:
        typer.echo(f"error: {outcome.error}", err=True)
    if failed:
        raise typer.Exit(1)


def _store(runtime: Runtime, batch: Any, paths: list[Path]) -> list[service.FileOutcome]:
    outcomes = []
    for path in paths:
        if not path.is_file():
            raise PortevoixError(f"{path}: not a file")
    total = sum(_pages_in(path) for path in paths)
    with typer.progressbar(length=total, label="storing", file=sys.stderr) as bar:
        for path in paths:
            outcomes.append(service.take_file(runtime, batch, path, on_page=lambda: bar.update(1)))
    return outcomes


def _pages_in(path: Path) -> int:
    try:
        return images.page_count(path)
    except images.UnreadableScan:
        return 0  # said once its turn comes


def _read(runtime: Runtime, batch_id: int) -> None:
    job_ids = service.pending_jobs(runtime, batch_id)
    with typer.progressbar(job_ids, label="reading", file=sys.stderr) as pending:
        for job_id in pending:
            run_job(runtime, job_id)


def _page_lines(runtime: Runtime, outcomes: list[service.FileOutcome]) -> list[dict[str, Any]]:
    lines = []
    with transaction(runtime.sessions) as session:
        for outcome in outcomes:
            if outcome.file_id is None:
                continue
            for page in paper.pages_of_file(session, outcome.file_id):
                line = service.page_json(page, outcome.path.name)
                if outcome.same_as is not None:
                    same = f"the same file was scanned already (batch {outcome.same_as})"
                    line |= {"status": "duplicate", "reason": same}
                lines.append(line)
    return lines


def _summary(line: dict[str, Any]) -> str:
    where = f"{line['file']}[{line['page_index']}]"
    sheet = f" {line['serial']} p{line['form_page']}" if line["serial"] else ""
    reason = f": {line['reason']}" if line["reason"] else ""
    return f"{where}{sheet} {line['status']}{reason}"


@app.command()
def rethreshold(
    ctx: typer.Context,
    batch: Annotated[str, typer.Argument(help="the batch's name")],
    empty_below: Annotated[float | None, typer.Option()] = None,
    marked_from: Annotated[float | None, typer.Option()] = None,
    thin_below: Annotated[float | None, typer.Option()] = None,
    cancelled_from: Annotated[float | None, typer.Option()] = None,
    writing_from: Annotated[float | None, typer.Option()] = None,
) -> None:
    """List the boxes of a batch whose decision other thresholds would change; change nothing.

    Without options: the thresholds of the settings (PORTEVOIX_PAPER_THRESHOLDS), against
    the decisions made when each page was read.
    """
    given = {
        "empty_below": empty_below,
        "marked_from": marked_from,
        "thin_below": thin_below,
        "cancelled_from": cancelled_from,
        "writing_from": writing_from,
    }
    with cli_runtime(ctx) as runtime, transaction(runtime.sessions) as session:
        changes = {k: v for k, v in given.items() if v is not None}
        limits = marks.thresholds(runtime.settings.paper_thresholds | changes)
        found = paper.batch_by_name(session, batch)
        if found is None:
            raise PortevoixError(f"no batch named {batch!r}")
        lines = [
            _change_line(page.id, box, decision)
            for page in paper.pages_of(session, found.id)
            for box, decision in marks.replay((page.result or {}).get("boxes", []), limits)
        ]
    for line in lines:
        typer.echo(line)
    typer.echo(f"{len(lines)} box decision(s) would change")


def _change_line(page_id: int, box: dict[str, Any], decision: str) -> str:
    scores = box["scores"]
    return (
        f"page #{page_id} {box['question_id']}/{box['option_key']}: {box['decision']} -> "
        f"{decision} (fill {scores['fill']}, solid {scores['solid']})"
    )
