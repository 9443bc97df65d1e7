"""What a printed page says about itself: its markers' ids and its signed QR code.

Marker ids encode the page and the corner: id = 4 × (page − 1) + corner, corners
numbered clockwise from the top left, so a scan at any rotation says which way up
it is. The QR code holds the consultation code, the form's version (the printed
questions and the places of the boxes: see `Layout.form_version`), page n of N, a
random serial per printed copy and a test-deck flag, signed with a MAC keyed by the
gateway's secret: a serial nobody printed does not verify, and a photocopy carries a
serial already seen.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from gateway.errors import PortevoixError

CORNERS = 4  # top-left, top-right, bottom-right, bottom-left
MAX_PAGES = 62  # ids 0-247 of the 250-marker ArUco dictionary
PREFIX = "PV1"
VERSION_CHARS = 16
MAC_CHARS = 16
# Unambiguous when a person reads it off a sheet: no 0/O, 1/I/L, 5/S, 2/Z, 8/B.
SERIAL_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
SERIAL_LENGTH = 10


class BadCode(PortevoixError):
    """A QR code that is not one of ours, or whose signature does not verify."""


@dataclass(frozen=True)
class PageCode:
    consultation: str
    version: str  # the layout's form_version: printed questions and box places, hashed
    page: int
    pages: int
    serial: str
    test: bool = False

    def payload(self, key: bytes) -> str:
        body = self._body()
        return f"{body}:{_mac(key, body)}"

    def _body(self) -> str:
        flag = "T" if self.test else "-"
        return (
            f"{PREFIX}:{self.consultation}:{self.version}:{self.page}/{self.pages}:"
            f"{self.serial}:{flag}"
        )


def marker_id(page: int, corner: int) -> int:
    return CORNERS * (page - 1) + corner


def page_and_corner(marker: int) -> tuple[int, int]:
    return marker // CORNERS + 1, marker % CORNERS


def new_serial() -> str:
    return "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(SERIAL_LENGTH))


def mac_key(secret: bytes) -> bytes:
    """A key of its own for the QR codes, derived from the gateway's secret."""
    return hmac.new(secret, b"portevoix paper qr", hashlib.sha256).digest()


def parse(payload: str, key: bytes) -> PageCode:
    """The page a QR payload describes, once its MAC verifies; BadCode otherwise."""
    parts = payload.strip().split(":")
    if len(parts) != 7 or parts[0] != PREFIX:
        raise BadCode("not a Porte-voix form code")
    body, given = ":".join(parts[:6]), parts[6]
    if not hmac.compare_digest(_mac(key, body), given.upper()):
        raise BadCode("the form's signature does not verify: forged or from another gateway")
    _, code, version, pages_part, serial, flag = parts[:6]
    page, _, total = pages_part.partition("/")
    if not (page.isdigit() and total.isdigit()) or not 1 <= int(page) <= int(total):
        raise BadCode("the form's page number is not valid")
    return PageCode(code, version, int(page), int(total), serial, flag == "T")


def _mac(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:MAC_CHARS].upper()
