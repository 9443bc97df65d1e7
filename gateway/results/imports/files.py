"""Reading an export file: its encoding, its separator, its rows, one at a time.

Files are streamed: a 100 MB export is read row by row, never whole. CSV cells are
made plain once here: surrounding spaces trimmed, and the `'` a spreadsheet-safe
exporter (Decidim's among them) puts before a cell that starts like a formula removed.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from gateway.errors import PortevoixError
from gateway.text import UnsafeText, clean_text

# The longest cell read: a free-text answer is a few thousand characters.
MAX_CELL = 100_000
# JSON is read by chunks this long; one object must fit in MAX_OBJECT characters.
CHUNK = 1 << 16
MAX_OBJECT = 10_000_000
# Exporters put a `'` before a cell starting with one of these, so that a spreadsheet
# shows it as text instead of running it.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_SEPARATORS = (";", ",", "\t", "|")


class ImportFileError(PortevoixError):
    """The file cannot be read as asked; nothing was imported."""


@dataclass(frozen=True)
class Row:
    """One record of the file: its line (CSV) or position (JSON), and its cells by column."""

    line: int
    cells: dict[str, Any]


def plain(value: Any) -> Any:
    """A cell without the exporter's formula guard, control characters or outer spaces."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS):
        text = text[1:]
    try:
        return clean_text(text, MAX_CELL, multiline=True).strip()
    except UnsafeText as error:
        raise ImportFileError(str(error)) from None


def open_text(path: Path, encoding: str = "utf-8") -> IO[str]:
    """The file as text; UTF-8 may start with a byte-order mark, which is dropped."""
    try:
        codecs.lookup(encoding)
        raw = path.open("rb")
    except LookupError:
        raise ImportFileError(f"unknown encoding {encoding!r}: try utf-8 or latin-1") from None
    except OSError as error:
        raise ImportFileError(f"{path}: {error.strerror or error}") from None
    name = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    # newline="": the csv module reads line ends itself (a cell may hold one).
    return io.TextIOWrapper(raw, encoding=name, errors="strict", newline="")


def decode_error(path: Path, error: UnicodeDecodeError, encoding: str) -> ImportFileError:
    hint = " (it looks like Latin-1 or Windows-1252: add --encoding latin-1)"
    return ImportFileError(
        f"{path}: not {encoding} text at byte {error.start}"
        + (hint if encoding.lower().startswith("utf") else "")
    )


def is_json(path: Path) -> bool:
    """Whether the file holds JSON: by its name, else by its first character."""
    if path.suffix.lower() == ".json":
        return True
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        return False
    with path.open("rb") as raw:
        start = raw.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return start[:1] in (b"[", b"{")


def csv_rows(path: Path, separator: str, encoding: str, expected: set[str]) -> Iterator[Row]:
    """The rows of a CSV file as cells by header; the header must use `separator`."""
    csv.field_size_limit(MAX_CELL)
    with open_text(path, encoding) as text:
        try:
            reader = csv.reader(text, delimiter=separator)
            header = [plain(name) for name in next(reader, [])]
            _check_header(path, header, separator, expected)
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                yield _row(path, reader.line_num, header, cells)
        except UnicodeDecodeError as error:
            raise decode_error(path, error, encoding) from None
        except csv.Error as error:
            raise ImportFileError(f"{path}: line {reader.line_num}: {error}") from None


def _row(path: Path, line: int, header: list[str], cells: list[str]) -> Row:
    if len(cells) != len(header):
        raise ImportFileError(
            f"{path}: line {line}: {len(cells)} cells where the header names {len(header)} "
            "columns (a separator inside a cell without quotes?)"
        )
    try:
        return Row(line, {name: plain(cell) for name, cell in zip(header, cells, strict=True)})
    except ImportFileError as error:
        raise ImportFileError(f"{path}: line {line}: {error}") from None


def _check_header(path: Path, header: list[str], separator: str, expected: set[str]) -> None:
    if not header:
        raise ImportFileError(f"{path}: the file is empty")
    if len(header) == 1 or not expected & set(header):
        guess = next((s for s in _SEPARATORS if s != separator and s in header[0]), None)
        if guess is not None:
            raise ImportFileError(
                f"{path}: the header does not read with the separator {separator!r}; "
                f"it seems to use {guess!r}: add --separator {guess!r}"
            )
    if len(set(header)) != len(header):
        twice = sorted({h for h in header if header.count(h) > 1})
        raise ImportFileError(f"{path}: columns named twice: {', '.join(twice)}")


def json_rows(path: Path, encoding: str) -> Iterator[Row]:
    """The objects of a JSON array, one at a time, numbered from 1."""
    with open_text(path, encoding) as text:
        try:
            for number, item in enumerate(_array_items(path, text), start=1):
                if not isinstance(item, dict):
                    raise ImportFileError(f"{path}: item {number} is not an object")
                yield Row(number, {str(k): _plain_json(v) for k, v in item.items()})
        except UnicodeDecodeError as error:
            raise decode_error(path, error, encoding) from None


def _plain_json(value: Any) -> Any:
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain_json(v) for k, v in value.items()}
    return plain(value)


def _array_items(path: Path, text: IO[str]) -> Iterator[Any]:
    """Decode the items of a top-level JSON array without holding the whole file."""
    decoder = json.JSONDecoder()
    buffer, position = text.read(CHUNK), 0
    buffer, position = _skip(buffer, position, text)
    if buffer[position : position + 1] != "[":
        raise ImportFileError(f"{path}: expected a JSON array of answers")
    position += 1
    while True:
        buffer, position = _skip(buffer, position, text)
        if buffer[position : position + 1] == "]":
            return
        item, position, buffer = _decode_one(path, decoder, buffer, position, text)
        yield item
        buffer, position = _skip(buffer, position, text)
        if buffer[position : position + 1] == ",":
            position += 1
        elif buffer[position : position + 1] != "]":
            raise ImportFileError(f"{path}: expected ',' or ']' after item")


def _decode_one(
    path: Path, decoder: json.JSONDecoder, buffer: str, position: int, text: IO[str]
) -> tuple[Any, int, str]:
    while True:
        try:
            item, end = decoder.raw_decode(buffer, position)
            return item, end, buffer
        except json.JSONDecodeError as error:
            more = text.read(CHUNK)
            if not more or len(buffer) - position > MAX_OBJECT:
                raise ImportFileError(f"{path}: not valid JSON: {error.msg}") from None
            buffer = buffer[position:] + more
            position = 0


def _skip(buffer: str, position: int, text: IO[str]) -> tuple[str, int]:
    """Skip white space, reading on when the buffer runs out."""
    while True:
        while position < len(buffer) and buffer[position] in " \t\r\n":
            position += 1
        if position < len(buffer):
            return buffer, position
        more = text.read(CHUNK)
        if not more:
            return "", 0
        buffer, position = more, 0
