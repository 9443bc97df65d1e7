"""How many SMS segments a text costs, and how to make French text fit GSM-7.

A single non-GSM-7 character (a "ç", a curly apostrophe, an emoji) switches the
whole message to UCS-2, which cuts the room per segment from 160 to 70 and can
more than double what a commune pays per message. `analyse` says what a text
will cost; `transliterate` proposes a GSM-7 version for a writer to review.

The tables follow 3GPP TS 23.038 (formerly GSM 03.38): default alphabet plus
the default extension table, without national language shift tables, which
many handsets and carriers still do not honour.
"""

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Encoding", "SegmentInfo", "analyse", "is_gsm7", "transliterate"]


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


# The default alphabet in code order, eight positions per row, so each row can
# be checked against the spec table. Position 0x1B is the escape to the
# extension table: a protocol byte, not a character a resident can type.
_ESCAPE = "\x1b"
_GSM7_DEFAULT_TABLE = (
    "@£$¥èéùì"
    "òÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨ"
    "ΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'"
    "()*+,-./"
    "01234567"
    "89:;<=>?"
    "¡ABCDEFG"
    "HIJKLMNO"
    "PQRSTUVW"
    "XYZÄÖÑÜ§"
    "¿abcdefg"
    "hijklmno"
    "pqrstuvw"
    "xyzäöñüà"
)
_GSM7_BASIC = frozenset(_GSM7_DEFAULT_TABLE) - {_ESCAPE}

# Each of these is sent as escape + code, so it costs two septets.
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

_GSM7 = _GSM7_BASIC | _GSM7_EXTENSION

_GSM7_SINGLE = 160
_GSM7_MULTIPART = 153  # 7 septets go to the concatenation header (UDH).
_UCS2_SINGLE = 70
_UCS2_MULTIPART = 67  # 3 UTF-16 units go to the concatenation header (UDH).

# Characters that Unicode decomposition cannot bring back to GSM-7 but that a
# French reader expects to see as their plain equivalent. Letters with accents
# (ç, ê, â, î, ô, û, ë, ï...) need no entry: decomposition strips them.
_FRENCH_REPLACEMENTS = {
    "œ": "oe",
    "Œ": "OE",
    "’": "'",
    "‘": "'",
    "‚": "'",
    "‹": "'",
    "›": "'",
    "`": "'",
    "´": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "«": '"',
    "»": '"',
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    "•": "-",
    "…": "...",
    "⁄": "/",
    # Latin letters with a stroke or without a dot have no decomposition.
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "ı": "i",
}

# French typography puts a (non-breaking) space inside guillemets; once they
# become straight quotes that space only reads as a stray gap: « oui » → "oui".
_GUILLEMET_OPEN = re.compile(r"« *")
_GUILLEMET_CLOSE = re.compile(r" *»")
_SPACE_RUN = re.compile(r" {2,}")
_SPACE_AT_LINE_EDGE = re.compile(r"(?m)^ +| +(?=\r?$)")


@dataclass(frozen=True)
class SegmentInfo:
    """What sending a text costs.

    `units` are septets for GSM-7 (extension characters count 2) and UTF-16
    code units for UCS-2 (characters beyond the BMP, such as emoji, count 2).
    `per_segment` is the capacity of each segment actually used: the single
    message limit when the text fits one segment, the multipart one otherwise.
    Empty text costs 0 units and 0 segments: there is nothing to send.
    """

    encoding: Encoding
    units: int
    segments: int
    per_segment: int

    @property
    def fits_one_segment(self) -> bool:
        return self.segments <= 1


def is_gsm7(text: str) -> bool:
    """True when every character of `text` can be sent in GSM-7."""
    return _GSM7.issuperset(text)


def analyse(text: str) -> SegmentInfo:
    """Encoding, size and segment count of `text` as a carrier would send it."""
    if is_gsm7(text):
        return _measure(text, Encoding.GSM7, _septets, _GSM7_SINGLE, _GSM7_MULTIPART)
    return _measure(text, Encoding.UCS2, _utf16_units, _UCS2_SINGLE, _UCS2_MULTIPART)


# The same questions and replies go out again and again.
@functools.lru_cache(maxsize=1024)
def transliterate(text: str) -> str:
    """Propose a GSM-7 version of French `text`.

    Text that is already GSM-7 is returned untouched: its layout is the
    writer's choice and rewriting it would save nothing. Otherwise typographic
    punctuation becomes its plain form, accents outside GSM-7 are dropped
    (keeping é, è, à, ù... which GSM-7 has), anything left that GSM-7 cannot
    carry (emoji, symbols) is removed, and the spacing this leaves is tidied.
    """
    if is_gsm7(text):
        return text
    # Composing first keeps "e" + combining acute as the GSM-7 "é".
    text = _unify_spaces(unicodedata.normalize("NFC", text))
    text = _GUILLEMET_CLOSE.sub('"', _GUILLEMET_OPEN.sub('"', text))
    return _tidy_spaces(text.translate(_TO_GSM7))


def _septets(char: str) -> int:
    return 2 if char in _GSM7_EXTENSION else 1


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _measure(
    text: str, encoding: Encoding, cost: Callable[[str], int], single: int, multipart: int
) -> SegmentInfo:
    costs = [cost(char) for char in text]
    units = sum(costs)
    if units <= single:
        return SegmentInfo(encoding, units, 1 if units else 0, single)
    return SegmentInfo(encoding, units, _count_multipart(costs, multipart), multipart)


def _count_multipart(costs: Iterable[int], capacity: int) -> int:
    # Dividing units by capacity undercounts: handsets never split an escape
    # pair or a surrogate pair, so a two-unit character that would straddle a
    # boundary moves whole to the next segment and leaves a one-unit gap.
    segments, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            segments, used = segments + 1, 0
        used += cost
    return segments


def _unify_spaces(text: str) -> str:
    # Non-breaking, narrow and thin spaces (common before ; : ! ? in French)
    # and tabs are all whitespace a phone shows as a plain space.
    return text.translate(_PLAIN_SPACES)


class _CharTable(dict[int, str]):
    """A `str.translate` table that works out each character once, then remembers it.

    Only the first few thousand characters seen are remembered: text from anywhere
    cannot grow it without bound.
    """

    def __init__(self, convert: Callable[[str], str]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, code: int) -> str:
        converted = self.convert(chr(code))
        if len(self) < 4096:
            self[code] = converted
        return converted


def _plain_space(char: str) -> str:
    return " " if char.isspace() and char not in _GSM7 else char


def _char_to_gsm7(char: str) -> str:
    if char in _GSM7:
        return char
    if char in _FRENCH_REPLACEMENTS:
        return _FRENCH_REPLACEMENTS[char]
    # Compatibility decomposition turns "ê" into "e" + a combining accent,
    # "ﬁ" into "fi", "²" into "2", "½" into "1⁄2"; keep what GSM-7 can carry.
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(
        part if part in _GSM7 else _FRENCH_REPLACEMENTS.get(part, "") for part in decomposed
    )


_PLAIN_SPACES = _CharTable(_plain_space)
_TO_GSM7 = _CharTable(_char_to_gsm7)


def _tidy_spaces(text: str) -> str:
    # Removing an emoji or a symbol leaves its surrounding spaces behind.
    return _SPACE_AT_LINE_EDGE.sub("", _SPACE_RUN.sub(" ", text))
