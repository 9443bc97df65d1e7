"""Paper pages read per second per core, against only decoding the same images.

Both sides run on one core in the same run, on 300 dpi PNG scans of marked
checkbox-only ballots, as the `paper.read_page` job gets them from the evidence
store: `decode` only decodes; `read` decodes, places the page by its markers,
decodes the QR code and decides every box (aim: within 4× `decode`). Then the
peak memory of storing a 500-page PDF, in a process of its own (aim: under 500 MB).
Prints JSON.
Usage: python -m bench.paper [--pages 30] [--pdf-pages 500]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from gateway.consultations.loader import load_definition
from gateway.consultations.repository import definition_hash
from gateway.paper_ocr import codes, deck, images, layout, reading
from tests.helpers import BUDGET
from tests.paper_ocr.forms import make_pages, make_pdf

DPI = 300
KEY = codes.mac_key(b"bench")


def _scans(count: int) -> tuple[list[bytes], reading.Form]:
    definition = load_definition(Path(BUDGET))
    form = reading.Form(definition, layout.plan(definition, definition_hash(definition)))
    plan = form.layout.page(1)
    assert plan is not None
    rng = np.random.default_rng(1)
    pages = make_pages(make_pdf(form.layout, KEY, copies=count), DPI)
    scans = []
    for gray in pages:
        deck.fill(gray, DPI, plan, definition, rng)
        scans.append(images.encode_png(deck.rotate(gray, float(rng.uniform(-3, 3)))))
    return scans, form


def speed(count: int) -> dict[str, Any]:
    scans, form = _scans(count)
    decode = _timed(
        lambda png: cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE), scans
    )
    read = _timed(lambda png: _read(png, form), scans)
    placed = [_placed(png, form) for png in scans]
    return {
        "pages": count,
        "dpi": DPI,
        "decode_pages_per_second": round(count / decode, 2),
        "read_pages_per_second_per_core": round(count / read, 2),
        "read_over_decode": round(read / decode, 2),
        "pages_placed_and_read": sum(placed),
    }


def _read(png: bytes, form: reading.Form) -> str:
    return reading.read_page(images.decode_png(png), KEY, lambda code: form).status


def _placed(png: bytes, form: reading.Form) -> bool:
    """Whether every box of the page was measured (a page to review for its marks counts)."""
    return bool(reading.read_page(images.decode_png(png), KEY, lambda code: form).boxes)


def _timed(work: Any, items: list[bytes]) -> float:
    work(items[0])  # warm up: OpenCV and the detector set themselves up once
    started = time.perf_counter()
    for item in items:
        work(item)
    return time.perf_counter() - started


def memory(pdf_pages: int) -> dict[str, Any]:
    """Peak resident memory of a process that stores every page of a big PDF."""
    definition = load_definition(Path(BUDGET))
    plan = layout.plan(definition, definition_hash(definition))
    with tempfile.TemporaryDirectory() as directory:
        pdf = Path(directory) / "lot.pdf"
        pdf.write_bytes(make_pdf(plan, KEY, copies=pdf_pages))
        done = subprocess.run(
            [sys.executable, "-m", "bench.paper", "--store-child", str(pdf)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _store_child(pdf: Path) -> None:
    from gateway.channels import build_runtime
    from gateway.config import Settings
    from gateway.consultations import repository as consultations
    from gateway.paper_ocr import service
    from gateway.store.migrate import upgrade

    settings = Settings(
        data_dir=pdf.parent / "data",
        environment="test",
        secret_key="bench-secret-key-long-enough-0123456789",  # type: ignore[arg-type]
    )
    with build_runtime(settings, dispatch=False) as runtime:
        upgrade(runtime.engine)
        with runtime.sessions() as session, session.begin():
            consultations.save_definition(session, load_definition(Path(BUDGET)))
        before = _peak_mb()
        started = time.perf_counter()
        outcome = service.take_file(runtime, service.open_batch(runtime, "lot", "bench"), pdf)
        seconds = time.perf_counter() - started
    peak = _peak_mb()
    print(json.dumps({
        "pdf_pages_stored": outcome.pages_stored,
        "store_pages_per_second": round(outcome.pages_stored / seconds, 2),
        "peak_rss_before_storing_mb": before,
        "peak_rss_mb": peak,
    }))  # fmt: skip


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--pdf-pages", type=int, default=500)
    parser.add_argument("--store-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.store_child:
        _store_child(args.store_child)
        return
    report = {"speed": speed(args.pages), "memory": memory(args.pdf_pages)}
    report["targets"] = {"read_over_decode": 4.0, "peak_rss_mb": 500}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
