"""One clock for the whole service: what a test sets, every module reads."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway import clock
from gateway.store.base import utcnow

PINNED = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_a_set_clock_is_read_everywhere_then_given_back() -> None:
    with clock.set_clock(lambda: PINNED):
        assert clock.now() == utcnow() == PINNED
    assert utcnow() != PINNED and utcnow().tzinfo is not None
