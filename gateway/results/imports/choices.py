"""Reading a choice cell: the labels a respondent saw, joined by ", " in a CSV export.

A label may itself hold ", " ("Des bancs, de l'ombre"), so a cell is never split
naively: it is read as a sequence of known labels, each followed by the separator or
the end of the cell. Decidim writes a choice with free text as "Label (text)"; the
text is kept as raw input only. A cell that reads in two ways is refused, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, lru_cache

from gateway.results.imports.mapping import fold


class UnknownChoice(ValueError):
    """The cell holds something no known label names, or reads in more than one way."""


@dataclass(frozen=True)
class ChoiceReader:
    labels: dict[str, str]  # folded label -> option key
    separator: str = ", "
    # The labels, shortest first, with their keys: hashable, so readings can be cached.
    _known: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        known = tuple(sorted(self.labels.items(), key=lambda item: len(item[0])))
        object.__setattr__(self, "_known", known)

    def read(self, cell: str) -> list[str]:
        """The option keys the cell names, in order, each once."""
        keys = set(_keys(fold(cell), self._known, self.separator.casefold()))
        if not keys:
            raise UnknownChoice(f"{cell!r} names no known option")
        if len(keys) > 1:
            raise UnknownChoice(f"{cell!r} reads as more than one set of options")
        return list(keys.pop())

    def read_one(self, cell: str) -> str:
        keys = self.read(cell)
        if len(keys) != 1:
            raise UnknownChoice(f"{cell!r} names {len(keys)} options where one is expected")
        return keys[0]


# Cells repeat (a file holds a few labels many times): each is read once per few thousand.
@lru_cache(maxsize=4096)
def _keys(
    text: str, known: tuple[tuple[str, str], ...], separator: str
) -> frozenset[tuple[str, ...]]:
    """The distinct sets of option keys `text` reads as."""
    key_of = dict(known)
    readings = _readings(text, tuple(label for label, _ in known), separator)
    return frozenset(tuple(dict.fromkeys(key_of[label] for label in r)) for r in readings)


def _readings(text: str, labels: tuple[str, ...], separator: str) -> list[tuple[str, ...]]:
    """Every way to read `text` as labels joined by `separator` (at most three are kept)."""

    @cache
    def from_position(start: int) -> tuple[tuple[str, ...], ...]:
        found: list[tuple[str, ...]] = []
        for label in labels:
            if not text.startswith(label, start):
                continue
            for end in _ends(text, start + len(label)):
                if end == len(text):
                    found.append((label,))
                elif text.startswith(separator, end):
                    found += [(label, *rest) for rest in from_position(end + len(separator))]
            if len(found) > 2:
                break
        return tuple(found[:3])

    return list(from_position(0)) if text else []


def _ends(text: str, end: int) -> list[int]:
    """Where a label ending at `end` may stop: there, or after a "(free text)" part."""
    ends = [end]
    if text.startswith(" (", end):
        close = text.find(")", end)
        while close != -1:
            ends.append(close + 1)
            close = text.find(")", close + 1)
    return ends
