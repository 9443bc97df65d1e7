"""Find a printed page in a scan and measure every box on it.

The four corner markers give a homography from the printed page to the scan; a
fit that does not hold (a torn, folded or foreign page) is refused rather than
guessed. The page is then redrawn upright at `PX_PER_PT`, where the QR code is
decoded and each box of the layout is measured: how much of its inside is dark
(`fill`) and how much stays dark once strokes thinner than half its inside are
wiped out (`solid`): a tick or a cross has fill but little solid; a box filled
in black, the cancellation convention, has both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from gateway.paper_ocr import codes
from gateway.paper_ocr.layout import MARKER_SIZE, MM, PAGE_H, PAGE_W, QR_SIZE, Box
from gateway.paper_ocr.printing import ARUCO_DICTIONARY, marker_origins, qr_origin

PX_PER_PT = 2.0  # the upright page is read at 144 dpi
# Markers are looked for on the scan halved until it is at most this high (100-190 dpi).
DETECT_HEIGHT = 2200
# Mean distance, in points, between where the markers' corners are and where the
# homography puts them: above it the page is bent, torn or not ours.
MAX_FIT_ERROR_PT = 2.5
CHECKBOX_INSET = 0.22  # of the box's side: the printed outline stays outside
TEXT_INSET = 0.06
# Strokes thinner than this share of a box's inside are wiped out before `solid` is
# measured: a felt-tip cross (about 1.5 mm) goes, a box filled in black stays.
SOLID_KERNEL = 0.45
QR_MARGIN = 4 * MM
QR_PX_PER_PT = 4.0


@dataclass(frozen=True)
class Location:
    """Where the page is in the scan: scan pixels → page points, and its fit."""

    page: int
    to_page: np.ndarray  # 3×3, scan pixels to page points
    markers: dict[int, np.ndarray]  # corner → its 4 points in the scan
    fit_error_pt: float


class NotLocated(Exception):
    """The page could not be placed; `review` when a person may still read it."""

    def __init__(self, reason: str, review: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.review = review


@dataclass(frozen=True)
class Scores:
    fill: float
    solid: float
    paper: float


def locate(gray: np.ndarray) -> Location:
    """Place the printed page in the scan from its four markers."""
    small, factor = _for_detection(gray)
    found = _markers(small)
    if not found:
        raise NotLocated("no form markers: not a form, or a blank page", review=False)
    pages = Counter(codes.page_and_corner(marker)[0] for marker in found)
    page, _ = pages.most_common(1)[0]
    corners = {codes.page_and_corner(m)[1]: pts / factor for m, pts in found.items()
               if codes.page_and_corner(m)[0] == page}  # fmt: skip
    if len(corners) < codes.CORNERS:
        missing = codes.CORNERS - len(corners)
        raise NotLocated(f"{missing} corner marker(s) not found", review=True)
    return _fit(page, corners)


def _for_detection(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """The scan halved (a fast pyramid step) until it is at most DETECT_HEIGHT."""
    small, factor = gray, 1.0
    while max(small.shape) > DETECT_HEIGHT:
        small, factor = cv2.pyrDown(small), factor / 2
    return small, factor


def _detector(fast: bool) -> cv2.aruco.ArucoDetector:
    parameters = cv2.aruco.DetectorParameters()
    if fast:
        # A scanned sheet fills the image: its markers are large and sharp, so small
        # candidates and fine threshold windows are skipped (four times faster).
        parameters.minMarkerPerimeterRate = 0.08
        parameters.adaptiveThreshWinSizeMin = 13
    dictionary = cv2.aruco.getPredefinedDictionary(ARUCO_DICTIONARY)
    return cv2.aruco.ArucoDetector(dictionary, parameters)


# Scanner pages first; the thorough pass for photos and small or faint markers.
_DETECTORS = (_detector(fast=True), _detector(fast=False))


def _markers(gray: np.ndarray) -> dict[int, np.ndarray]:
    found: dict[int, np.ndarray] = {}
    for detector in _DETECTORS:
        corners, ids, _ = detector.detectMarkers(gray)
        found = _unique(corners, ids)
        if len(found) >= codes.CORNERS:
            break
    return found


def _unique(corners: Sequence[Any], ids: np.ndarray | None) -> dict[int, np.ndarray]:
    if ids is None:
        return {}
    seen = Counter(int(i) for i in ids.flatten())
    # A marker id seen twice is two pages on one scan: neither is trusted.
    return {
        int(i): c.reshape(4, 2)
        for c, i in zip(corners, ids.flatten(), strict=True)
        if seen[int(i)] == 1 and int(i) < codes.CORNERS * codes.MAX_PAGES
    }


def _fit(page: int, corners: dict[int, np.ndarray]) -> Location:
    origins = marker_origins()
    scan = np.concatenate([corners[c] for c in range(codes.CORNERS)]).astype(np.float32)
    printed = np.concatenate([_square(*origins[c]) for c in range(codes.CORNERS)])
    to_page, _ = cv2.findHomography(scan, printed, 0)
    if to_page is None:
        raise NotLocated("the markers do not make a page", review=False)
    placed = cv2.perspectiveTransform(scan.reshape(-1, 1, 2), to_page).reshape(-1, 2)
    error = float(np.linalg.norm(placed - printed, axis=1).mean())
    if error > MAX_FIT_ERROR_PT:
        raise NotLocated(f"the page does not fit its markers ({error:.1f} pt off)", review=False)
    return Location(page, to_page, corners, error)


def _square(x: float, y: float) -> np.ndarray:
    s = MARKER_SIZE
    return np.array([[x, y], [x + s, y], [x + s, y + s], [x, y + s]], np.float32)


def upright(gray: np.ndarray, location: Location) -> np.ndarray:
    """The page redrawn upright at PX_PER_PT, white where the scan does not reach."""
    to_px = np.diag([PX_PER_PT, PX_PER_PT, 1.0]) @ location.to_page
    size = (round(PAGE_W * PX_PER_PT), round(PAGE_H * PX_PER_PT))
    return cv2.warpPerspective(gray, to_px, size, flags=cv2.INTER_LINEAR, borderValue=255)


def qr_payload(gray: np.ndarray, page: np.ndarray, location: Location) -> str | None:
    """The QR code's text: from the upright page, else from the scan at full resolution.

    Two of OpenCV's QR readers are tried, since each fails on some codes the other reads.
    """
    x, y = qr_origin()
    x0, y0 = (round((v - QR_MARGIN) * PX_PER_PT) for v in (x, y))
    side = round((QR_SIZE + 2 * QR_MARGIN) * PX_PER_PT)
    upright_crop = page[y0 : y0 + side, x0 : x0 + side]
    if text := _decode(upright_crop):
        return text
    crop = _qr_crop(gray, location)
    for candidate in (crop, _binary(crop), cv2.GaussianBlur(crop, (5, 5), 0)):
        if text := _decode(candidate):
            return text
    return None


def _decode(image: np.ndarray) -> str | None:
    for detector in (cv2.QRCodeDetectorAruco(), cv2.QRCodeDetector()):
        text, _, _ = detector.detectAndDecode(image)
        if text:
            return str(text)
    return None


def _qr_crop(gray: np.ndarray, location: Location) -> np.ndarray:
    x, y = qr_origin()
    shift = np.array([[1, 0, -(x - QR_MARGIN)], [0, 1, -(y - QR_MARGIN)], [0, 0, 1]])
    to_px = np.diag([QR_PX_PER_PT, QR_PX_PER_PT, 1.0]) @ shift @ location.to_page
    size = round((QR_SIZE + 2 * QR_MARGIN) * QR_PX_PER_PT)
    return cv2.warpPerspective(gray, to_px, (size, size), flags=cv2.INTER_LINEAR, borderValue=255)


def _binary(gray: np.ndarray) -> np.ndarray:
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary


def box_pixels(box: Box, inset: float = 0.0) -> tuple[int, int, int, int]:
    """The box on the upright page as pixel bounds (x0, y0, x1, y1), shrunk by `inset`."""
    x, y, w, h = box.rect_pt
    dx, dy = w * inset, h * inset
    return (
        round((x + dx) * PX_PER_PT),
        round((y + dy) * PX_PER_PT),
        round((x + w - dx) * PX_PER_PT),
        round((y + h - dy) * PX_PER_PT),
    )


def measure(page: np.ndarray, box: Box) -> Scores:
    """Fill and solid scores of one box, against the paper around it."""
    inset = CHECKBOX_INSET if box.kind == "checkbox" else TEXT_INSET
    x0, y0, x1, y1 = box_pixels(box, inset)
    inside = page[y0:y1, x0:x1]
    paper = _paper_level(page, box)
    dark = (inside.astype(np.int16) < paper - max(45.0, 0.3 * paper)).astype(np.uint8)
    fill = float(dark.mean()) if dark.size else 0.0
    stroke = max(3, round(min(dark.shape) * SOLID_KERNEL))
    core = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((stroke, stroke), np.uint8))
    solid = float(core.mean()) if core.size else 0.0
    return Scores(round(fill, 4), round(solid, 4), round(paper, 1))


def _paper_level(page: np.ndarray, box: Box) -> float:
    """How light the paper is around the box: its brightest tenth, so ink does not count."""
    x0, y0, x1, y1 = box_pixels(box, -0.4)
    around = page[max(0, y0) : y1, max(0, x0) : x1]
    return float(np.percentile(around, 90)) if around.size else 255.0
