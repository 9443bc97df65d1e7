"""Mediation fixtures: the staff ones (cheap hashes, pinned clock, app client), examples loaded."""

from __future__ import annotations

import pytest

from gateway.runtime import Runtime
from tests.helpers import load_examples
from tests.staff.conftest import cheap_hashes, client, clock  # noqa: F401  (fixtures)


@pytest.fixture
def store(runtime: Runtime) -> Runtime:
    load_examples(runtime)
    return runtime


@pytest.fixture
def double_review(store: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setattr(store.settings, "double_review_votes", True)
    return store
