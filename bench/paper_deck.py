"""The paper test deck: forms filled with known answers, degraded, read, checked.

Prints JSON: per set (clean, degraded), the boxes sent to review, the silent errors
(a box decided otherwise than the truth and not sent to review; an answer counted
with another value than the truth), and whether every overvote and cancellation
was caught. Targets: no silent error; at most 2 % of boxes to review on clean
scans, 10 % on degraded ones.
Usage: python -m bench.paper_deck [--pages 300] [--seed 1]   (per set)
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from gateway.consultations.loader import load_definition
from gateway.consultations.repository import definition_hash
from gateway.paper_ocr import codes, deck, layout, marks, reading
from tests.helpers import BUDGET, PARC
from tests.paper_ocr.forms import make_pages, make_pdf

KEY = codes.mac_key(b"bench")


def _forms() -> list[reading.Form]:
    forms = []
    for path in (BUDGET, PARC):
        definition = load_definition(Path(path))
        forms.append(reading.Form(definition, layout.plan(definition, definition_hash(definition))))
    return forms


def run(pages: int, degraded: bool, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    tally: Counter[str] = Counter()
    started = time.perf_counter()
    forms = _forms()
    while tally["pages"] < pages:
        form = forms[int(rng.integers(0, len(forms)))]
        dpi = float(rng.choice([150, 200, 300])) if degraded else 300.0
        printed = make_pages(make_pdf(form.layout, KEY), dpi)
        for number, gray in enumerate(printed, 1):
            plan = form.layout.page(number)
            assert plan is not None
            truth = deck.fill(gray, dpi, plan, form.definition, rng)
            scan = deck.degrade(gray, rng) if degraded else gray
            result = reading.read_page(scan, KEY, lambda code, f=form: f)
            _check(result, truth, tally)
    return _figures(tally, time.perf_counter() - started)


def _check(result: reading.PageResult, truth: deck.Truth, tally: Counter[str]) -> None:
    tally["pages"] += 1
    if not result.boxes:
        tally[f"pages_{result.status}"] += 1
        tally[f"why: {result.reason}"] += 1
        tally["boxes_review"] += len(truth.boxes)
        tally["boxes"] += len(truth.boxes)
        return
    for box in result.boxes:
        _check_box(box, truth.boxes[(box["question_id"], box["option_key"])], tally)
    for question_id, meant in truth.answers.items():
        _check_answer(result.answers.get(question_id), meant, tally)


def _check_box(box: dict[str, Any], meant: str, tally: Counter[str]) -> None:
    tally["boxes"] += 1
    decided = box["decision"]
    if meant == marks.CANCELLED:
        tally["cancellations"] += 1
        tally["cancellations_caught"] += decided in (marks.CANCELLED, marks.UNCERTAIN)
    if decided == marks.UNCERTAIN:
        tally["boxes_review"] += 1
    elif decided != meant:
        tally["boxes_silent_errors"] += 1


def _check_answer(read: marks.QuestionReading | None, meant: Any, tally: Counter[str]) -> None:
    tally["answers"] += 1
    if meant == deck.TO_REVIEW:
        tally["to_review"] += 1
        tally["to_review_caught"] += read is not None and read.status == marks.REVIEW
    if read is not None and read.status == marks.REVIEW:
        tally["answers_review"] += 1
    elif (read.value if read is not None else None) != meant:
        tally["answers_silent_errors"] += 1


def _figures(tally: Counter[str], seconds: float) -> dict[str, Any]:
    boxes, answers = tally["boxes"] or 1, tally["answers"] or 1
    return {
        "pages": tally["pages"],
        "pages_rejected": tally["pages_rejected"],
        "pages_review_unplaced": tally["pages_review"],
        "boxes": tally["boxes"],
        "boxes_review_rate": round(tally["boxes_review"] / boxes, 4),
        "boxes_silent_errors": tally["boxes_silent_errors"],
        "answers": tally["answers"],
        "answers_review_rate": round(tally["answers_review"] / answers, 4),
        "answers_silent_errors": tally["answers_silent_errors"],
        "overvotes_blanks_handwriting_caught": f"{tally['to_review_caught']}/{tally['to_review']}",
        "cancellations_caught": f"{tally['cancellations_caught']}/{tally['cancellations']}",
        "pages_not_placed_why": {k[5:]: v for k, v in tally.items() if k.startswith("why: ")},
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=300, help="pages per set")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    report = {
        "clean_300dpi": run(args.pages, degraded=False, seed=args.seed),
        "degraded": run(args.pages, degraded=True, seed=args.seed + 1),
        "targets": {"silent_errors": 0, "clean_box_review_rate": 0.02, "degraded": 0.10},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
