"""The one clock: every "now" of the service is read here, so tests can set it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

Now = Callable[[], datetime]


def _system_now() -> datetime:
    return datetime.now(UTC)


_now: Now = _system_now


def now() -> datetime:
    """The current time, timezone-aware in UTC (or whatever the test set)."""
    return _now()


@contextmanager
def set_clock(source: Now) -> Iterator[None]:
    """Read the time from `source` inside the block (tests: a pinned, steppable clock)."""
    global _now
    previous, _now = _now, source
    try:
        yield
    finally:
        _now = previous
