"""`portevoix paper print|layout|scan|rethreshold` as an agent runs them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from typer.testing import CliRunner

from gateway.channels import build_runtime
from gateway.paper_ocr.cli import app
from gateway.runtime import Runtime
from tests.conftest import Clock
from tests.paper_ocr.forms import key_of, make_layout, make_marks, make_pages, make_pdf, make_png

pytestmark = pytest.mark.usefixtures("clock")


def _invoke(runtime: Runtime, *args: str) -> str:
    result = CliRunner().invoke(
        app, list(args), obj=lambda: build_runtime(runtime.settings, dispatch=False)
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_print_then_scan_prints_one_json_object_per_page(runtime: Runtime, tmp_path: Path) -> None:
    layout = make_layout(runtime, "PARC")
    pdf = tmp_path / "forms.pdf"
    _invoke(runtime, "print", "PARC", "--copies", "2", "--out", str(pdf))
    pages = make_pages(pdf.read_bytes(), 200)
    assert len(pages) == 2 * len(layout.pages)
    make_marks(pages[0], 200, layout, {("frequentation", "yes"): "cross"})
    scans = [make_png(tmp_path, page, f"{i}.png") for i, page in enumerate(pages[:2])]

    out = _invoke(runtime, "scan", *map(str, scans), "--batch", "lot", "--json")

    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["form_page"] for line in lines] == [1, 2]
    first = lines[0]
    expected = {"file", "page_index", "serial", "form_page", "status", "reason", "answers", "boxes"}
    assert set(first) == expected
    assert first["file"] == "0.png" and first["page_index"] == 0
    assert first["answers"]["frequentation"]["value"] == "yes"
    box = first["boxes"][0]
    assert {"question_id", "option_key", "scores", "decision"} <= set(box)
    assert len(first["boxes"]) == len(layout.pages[0].boxes)

    stricter = _invoke(runtime, "rethreshold", "lot", "--marked-from", "0.9")
    assert "yes: marked -> uncertain" in stricter


def test_layout_is_written_in_the_documented_shape(runtime: Runtime, tmp_path: Path) -> None:
    make_layout(runtime, "BUDGET")
    out = tmp_path / "layout.json"
    _invoke(runtime, "layout", "BUDGET", "--out", str(out))

    document = json.loads(out.read_text())

    assert list(document) == ["consultation", "version_hash", "page_size_pt", "origin", "pages"]
    assert document["origin"] == "top-left" and document["page_size_pt"] == [595.28, 841.89]
    (page,) = document["pages"]
    assert page["page"] == 1 and len(page["boxes"]) == 8  # a ballot: no profile question
    box = page["boxes"][0]
    assert list(box) == ["question_id", "option_key", "kind", "rect_pt"]
    _, _, w, h = box["rect_pt"]
    assert box["kind"] == "checkbox" and 5 <= w / (72 / 25.4) <= 8 and w == h


def test_a_blank_test_deck_is_printed_with_its_warning(runtime: Runtime, tmp_path: Path) -> None:
    make_layout(runtime, "BUDGET")
    pdf = tmp_path / "deck.pdf"
    _invoke(runtime, "print", "BUDGET", "--copies", "3", "--test-deck", "--out", str(pdf))

    document = pdfium.PdfDocument(str(pdf))
    text = document[0].get_textpage().get_text_range()
    document.close()
    assert "EXEMPLAIRE DE TEST" in text and "noircissez toute la case" in text


def test_paper_scanned_after_the_close_counts_if_collected_before_it(
    runtime: Runtime, tmp_path: Path, clock: Clock
) -> None:
    layout = make_layout(runtime, "BUDGET")
    pages = make_pages(make_pdf(layout, key_of(runtime), copies=2), 200)
    marked = [make_marks(page, 200, layout, {("projets", "bancs"): "cross"}) for page in pages]
    scans = [make_png(tmp_path, page, f"{i}.png") for i, page in enumerate(marked)]
    clock.now = datetime(2027, 2, 3, 9, 0, tzinfo=UTC)  # the consultation closed at 20:00 on 31/1

    on_time = _invoke(
        runtime, "scan", str(scans[0]), "--batch", "urne", "--collected-on", "2027-01-31T19:45",
        "--json",
    )  # fmt: skip
    late = _invoke(
        runtime, "scan", str(scans[1]), "--batch", "tard", "--collected-on", "2027-01-31T20:15",
        "--json",
    )  # fmt: skip
    future = CliRunner().invoke(
        app,
        ["scan", str(scans[1]), "--batch", "demain", "--collected-on", "2027-02-04"],
        obj=lambda: build_runtime(runtime.settings, dispatch=False),
    )

    assert json.loads(on_time)["status"] == "read", on_time
    refused = json.loads(late)
    assert refused["status"] == "rejected" and "closed" in refused["reason"]
    assert future.exit_code != 0 and "future" in str(future.exception)
