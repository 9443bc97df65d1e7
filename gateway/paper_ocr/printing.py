"""Print forms and ballots as one PDF: every copy gets its own signed serial."""

from __future__ import annotations

from functools import cache
from typing import BinaryIO

import cv2
import numpy as np
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.pdfgen.canvas import Canvas

from gateway.i18n import t
from gateway.paper_ocr import codes
from gateway.paper_ocr.layout import (
    BOLD,
    FONT,
    LANGUAGE,
    MARKER_INSET,
    MARKER_SIZE,
    MM,
    PAGE_H,
    PAGE_W,
    QR_SIZE,
    Layout,
    PagePlan,
)

ARUCO_DICTIONARY = cv2.aruco.DICT_4X4_250
MARKER_CELLS = 6  # 4 × 4 bits and a one-cell black border
CHECKBOX_LINE = 1.6
TEXT_BOX_LINE = 1.0


def print_copies(
    layout: Layout, key: bytes, copies: int, out: BinaryIO, *, test: bool = False
) -> list[str]:
    """Draw `copies` copies of the form into `out`; return their serials."""
    canvas = Canvas(out, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
    canvas.setTitle(f"{layout.consultation} {layout.version_hash[:8]}")
    serials = []
    for _ in range(copies):
        serial = codes.new_serial()
        serials.append(serial)
        for page in layout.pages:
            code = codes.PageCode(
                layout.consultation,
                layout.form_version,
                page.number,
                len(layout.pages),
                serial,
                test,
            )
            _draw_page(canvas, page, code.payload(key), len(layout.pages), test)
            canvas.showPage()
    canvas.save()
    return serials


def _draw_page(canvas: Canvas, page: PagePlan, payload: str, pages: int, test: bool) -> None:
    for corner, (x, y) in enumerate(marker_origins()):
        _draw_marker(canvas, codes.marker_id(page.number, corner), x, y)
    _draw_qr(canvas, payload)
    for line in page.lines:
        canvas.setFont(line.font, line.size)
        canvas.drawString(line.x, PAGE_H - line.y, line.text)
    for box in page.boxes:
        x, y, w, h = box.rect_pt
        canvas.setLineWidth(CHECKBOX_LINE if box.kind == "checkbox" else TEXT_BOX_LINE)
        canvas.rect(x, PAGE_H - y - h, w, h, stroke=1, fill=0)
    footer = t(LANGUAGE, "Page %(page)s of %(pages)s", page=page.number, pages=pages)
    if test:
        warning = t(LANGUAGE, "TEST COPY: never counted")
        footer = f"{footer} · {warning}"
    canvas.setFont(BOLD if test else FONT, 11)
    canvas.drawCentredString(PAGE_W / 2, MARKER_INSET + 4 * MM, footer)


def marker_origins() -> list[tuple[float, float]]:
    """Each corner marker's top-left point, clockwise from the top left (top-left origin)."""
    near = MARKER_INSET
    far_x, far_y = PAGE_W - MARKER_INSET - MARKER_SIZE, PAGE_H - MARKER_INSET - MARKER_SIZE
    return [(near, near), (far_x, near), (far_x, far_y), (near, far_y)]


def qr_origin() -> tuple[float, float]:
    """The QR code's top-left point: left of the top-right marker."""
    return PAGE_W - MARKER_INSET - MARKER_SIZE - 4 * MM - QR_SIZE, MARKER_INSET


def _draw_marker(canvas: Canvas, marker: int, x: float, y: float) -> None:
    cell = MARKER_SIZE / MARKER_CELLS
    canvas.setFillColorRGB(0, 0, 0)
    for row, col in zip(*np.nonzero(marker_bits(marker) == 0), strict=True):
        top = y + row * cell
        # A hair wider than the cell, so neighbouring cells print without seams.
        canvas.rect(x + col * cell, PAGE_H - top - cell, cell + 0.05, cell + 0.05, stroke=0, fill=1)


@cache
def marker_bits(marker: int) -> np.ndarray:
    dictionary = cv2.aruco.getPredefinedDictionary(ARUCO_DICTIONARY)
    return cv2.aruco.generateImageMarker(dictionary, marker, MARKER_CELLS)


def _draw_qr(canvas: Canvas, payload: str) -> None:
    widget = QrCodeWidget(payload, barLevel="M", barBorder=2)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(
        QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0]
    )
    drawing.add(widget)
    x, y = qr_origin()
    drawing.drawOn(canvas, x, PAGE_H - y - QR_SIZE)
