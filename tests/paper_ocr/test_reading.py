"""The reader on real printed pages under every degradation the issue lists (no store)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest

from gateway.consultations.loader import load_definition
from gateway.consultations.repository import definition_hash
from gateway.paper_ocr import codes, deck, layout, marks, reading
from tests.helpers import BUDGET, PARC
from tests.paper_ocr.forms import make_marks, make_pages, make_pdf

KEY = codes.mac_key(b"reading tests")
MARKS = {
    ("projets", "jardin-partage"): "cross",
    ("projets", "bancs"): "tick",
    ("projets", "toilettes"): "fill",
}
EXPECTED = {"jardin-partage": "marked", "bancs": "marked", "toilettes": "cancelled"}


@cache
def _form(path: Path = BUDGET) -> reading.Form:
    definition = load_definition(path)
    return reading.Form(definition, layout.plan(definition, definition_hash(definition)))


def _marked(dpi: float) -> np.ndarray:
    form = _form()
    page = make_pages(make_pdf(form.layout, KEY), dpi)[0]
    return make_marks(page, dpi, form.layout, MARKS)


def _read(gray: np.ndarray, path: Path = BUDGET) -> reading.PageResult:
    form = _form(path)
    return reading.read_page(gray, KEY, lambda code: form)


def _decisions(result: reading.PageResult) -> dict[str, str]:
    return {b["option_key"]: b["decision"] for b in result.boxes}


RNG = np.random.default_rng(5)
DEGRADATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "straight": lambda g: g,
    "skewed +5°": lambda g: deck.rotate(g, 5),
    "skewed -5°, scaled 0.97": lambda g: deck.rotate(g, -5, 0.97),
    "scaled 1.03": lambda g: deck.rotate(g, 0, 1.03),
    "quarter turn": lambda g: deck.rotate(g, 90),
    "upside down": lambda g: deck.rotate(g, 180),
    "three quarters": lambda g: deck.rotate(g, 270),
    "perspective": lambda g: deck.perspective(g, RNG),
    "blur and noise": lambda g: deck.noise(deck.blur(g), RNG),
    "JPEG quality 50": lambda g: deck.jpeg(g, 50),
    "fax": deck.fax,
}


@pytest.mark.parametrize("name", list(DEGRADATIONS))
def test_marks_survive_each_degradation(name: str) -> None:
    result = _read(DEGRADATIONS[name](_marked(200)))

    assert result.status == "read", result.reason
    decisions = _decisions(result)
    assert {k: decisions[k] for k in EXPECTED} == EXPECTED
    assert [k for k, d in decisions.items() if d != "empty"] == list(EXPECTED)
    assert result.answers["projets"].value == ["jardin-partage", "bancs"]


@pytest.mark.parametrize("dpi", [150, 300, 600])
def test_every_resolution_reads_the_same(dpi: int) -> None:
    result = _read(deck.rotate(_marked(dpi), 2))
    assert result.status == "read" and result.answers["projets"].value == [
        "jardin-partage",
        "bancs",
    ]


def test_a_phone_photo_on_a_table_is_read_or_sent_to_review() -> None:
    page = _marked(150)
    table = np.full((page.shape[0] + 600, page.shape[1] + 600), 90, np.uint8)
    table[300:-300, 300:-300] = page
    photo = deck.noise(deck.perspective(deck.rotate(table, 8), RNG, 0.04), RNG, 6)

    result = _read(photo)

    assert result.status in ("read", "review")
    if result.status == "read":
        assert result.answers["projets"].value == ["jardin-partage", "bancs"]


def test_a_half_filled_box_is_neither_a_mark_nor_a_cancellation() -> None:
    form = _form()
    page = make_pages(make_pdf(form.layout, KEY), 200)[0]
    box = next(b for b in form.layout.pages[0].boxes if b.option_key == "bancs")
    x, y, w, h = (round(v * 200 / 72) for v in box.rect_pt)
    cv2.rectangle(page, (x + 3, y + 3), (x + w - 3, y + h // 2), 30, -1)

    result = _read(page)

    assert _decisions(result)["bancs"] == "uncertain"
    assert result.status == "review" and result.answers["projets"].status == marks.REVIEW


def test_a_small_degraded_deck_has_no_silent_error() -> None:
    rng = np.random.default_rng(11)
    form = _form(PARC)
    for copy in range(4):
        for number, gray in enumerate(make_pages(make_pdf(form.layout, KEY), 200), 1):
            plan = form.layout.page(number)
            assert plan is not None
            truth = deck.fill(
                gray, 200, plan, form.definition, rng, deck.Habits(overvote=0.3, cancel=0.3)
            )
            result = _read(deck.degrade(gray, rng), PARC)
            for qid, meant in truth.answers.items():
                read = result.answers.get(qid)
                if read is not None and read.status == marks.REVIEW:
                    continue
                assert (read.value if read else None) == meant, (copy, number, qid)


def test_a_torn_page_that_does_not_fit_its_markers_is_rejected() -> None:
    page = _marked(200)
    corner = page[-400:, -400:]
    # The torn-off corner taped back askew: its marker no longer lines up with the others.
    page[-400:, -400:] = cv2.warpAffine(
        corner, cv2.getRotationMatrix2D((200, 200), 25, 1.0), (400, 400), borderValue=255
    )

    result = _read(page)

    assert result.status == "rejected" and "does not fit" in (result.reason or "")


def test_a_changed_qr_code_does_not_verify() -> None:
    code = codes.PageCode("BUDGET", "0123456789ABCDEF", 1, 1, "ACDEFGHJKM")
    payload = code.payload(KEY)

    assert codes.parse(payload, KEY) == code
    with pytest.raises(codes.BadCode, match="signature"):
        codes.parse(payload.replace("ACDEFGHJKM", "ACDEFGHJKN"), KEY)
    with pytest.raises(codes.BadCode, match="signature"):
        codes.parse(payload, codes.mac_key(b"another gateway"))


@pytest.mark.parametrize(
    ("fill", "solid", "decision"),
    [
        (0.0, 0.0, "empty"),
        (0.04, 0.0, "empty"),
        (0.07, 0.0, "uncertain"),  # a dot or a slip: a person looks
        (0.3, 0.0, "marked"),  # a tick
        (0.7, 0.35, "marked"),  # a felt-tip cross: strokes crossing
        (0.55, 0.5, "uncertain"),  # half filled: neither a mark nor a cancellation
        (0.98, 0.97, "cancelled"),
    ],
)
def test_bands(fill: float, solid: float, decision: str) -> None:
    assert marks.decide(fill, solid, "checkbox") == decision
