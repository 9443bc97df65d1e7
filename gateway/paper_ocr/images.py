"""Scanned files to grayscale pages, one at a time: PNG, JPEG, TIFF (multi-page), PDF.

Pages are decoded lazily, so a 500-page PDF never sits whole in memory, and each
page's size is checked before its pixels are decoded, so a decompression bomb is
refused rather than expanded.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageSequence, UnidentifiedImageError

from gateway.errors import PortevoixError

# A4 at 600 dpi is 35 million pixels; a page over this is not a scan of a form.
MAX_PIXELS = 60_000_000
MAX_PAGES = 5000
# Scanned PDFs are rendered at this resolution: marks are read at about 150 dpi.
PDF_DPI = 200
IMAGE_FORMATS = {"PNG", "JPEG", "TIFF", "MPO"}
# A page is stored with at most this many pixels, A4 at about 300 dpi: the reader
# never looks closer (the page at 144 dpi, a QR code at 288 dpi), and a PNG of it,
# noise and all, stays near 9 MB, under the evidence limit, where a noisy 600 dpi
# page would not.
STORE_PIXELS = 9_000_000
PNG_FAST = [cv2.IMWRITE_PNG_COMPRESSION, 1]


class UnreadableScan(PortevoixError):
    """A file that is not a scan we can read; the rest of the batch goes on."""


def is_pdf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"%PDF-"


def page_count(path: Path) -> int:
    """How many pages a file holds, without decoding them."""
    if is_pdf(path):
        with _pdf(path) as document:
            return len(document)
    with _image(path) as image:
        return int(getattr(image, "n_frames", 1))


def pages(path: Path, start: int = 0) -> Iterator[np.ndarray]:
    """Each page from `start` on, as an 8-bit grayscale array."""
    if is_pdf(path):
        yield from _pdf_pages(path, start)
    else:
        yield from _image_pages(path, start)


def for_storage(gray: np.ndarray) -> np.ndarray:
    """The page shrunk, by averaging, to at most STORE_PIXELS; as it is if smaller."""
    height, width = gray.shape[:2]
    scale = math.sqrt(STORE_PIXELS / (width * height))
    if scale >= 1:
        return gray
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def encode_png(gray: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", gray, PNG_FAST)
    if not ok:
        raise UnreadableScan("could not encode the page as PNG")
    return bytes(data.tobytes())


def decode_png(data: bytes) -> np.ndarray:
    gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise UnreadableScan("the stored page is not an image")
    return gray


def _pdf(path: Path) -> pdfium.PdfDocument:
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        raise UnreadableScan(f"{path.name}: not a readable PDF ({error})") from None
    if len(document) > MAX_PAGES:
        document.close()
        raise UnreadableScan(f"{path.name}: more than {MAX_PAGES} pages")
    return document


def _pdf_pages(path: Path, start: int) -> Iterator[np.ndarray]:
    with _pdf(path) as document:
        for index in range(start, len(document)):
            page = document[index]
            try:
                yield _render(page)
            finally:
                page.close()


def _render(page: pdfium.PdfPage) -> np.ndarray:
    width, height = page.get_size()
    if width <= 0 or height <= 0:
        raise UnreadableScan("a PDF page has no size")
    # A page drawn huge is rendered smaller rather than refused: its pixels are ours.
    scale = min(PDF_DPI / 72, math.sqrt(MAX_PIXELS / (width * height)))
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        return np.array(bitmap.to_numpy(), copy=True).reshape(bitmap.height, bitmap.width)
    finally:
        bitmap.close()


def _image(path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnreadableScan(f"{path.name}: too many pixels (a decompression bomb?)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UnreadableScan(f"{path.name}: not an image or a PDF, or a damaged one") from None
    if image.format not in IMAGE_FORMATS:
        image.close()
        raise UnreadableScan(
            f"{path.name}: {image.format} images are not taken (PNG, JPEG, TIFF, PDF)"
        )
    return image


def _image_pages(path: Path, start: int) -> Iterator[np.ndarray]:
    with _image(path) as image:
        try:
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                if index >= start:
                    yield _gray(path, frame)
        except (OSError, EOFError, SyntaxError, ValueError) as error:
            raise UnreadableScan(f"{path.name}: a page could not be decoded ({error})") from None


def _gray(path: Path, frame: Image.Image) -> np.ndarray:
    width, height = frame.size
    if width * height > MAX_PIXELS:
        raise UnreadableScan(
            f"{path.name}: a page of {width}×{height} pixels is over the limit "
            f"of {MAX_PIXELS} (a decompression bomb?)"
        )
    try:
        return np.asarray(frame.convert("L"))
    except (OSError, ValueError) as error:
        raise UnreadableScan(f"{path.name}: a page could not be decoded ({error})") from None
