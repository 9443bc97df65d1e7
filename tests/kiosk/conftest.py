"""Kiosk fixtures: an app on the example consultations, a registered kiosk, cheap hashes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.kiosk import service
from gateway.runtime import Runtime
from gateway.staff import hashing
from tests.conftest import Clock
from tests.helpers import load_examples


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with tiny costs for médiateurs' PINs: the same code path, much faster."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(hashing, "_hasher", lambda: hasher)
    monkeypatch.setattr(hashing, "_decoy", lambda: hasher.hash("decoy"))


@pytest.fixture
def client(runtime: Runtime, clock: Clock) -> Iterator[TestClient]:
    load_examples(runtime)
    with TestClient(create_app(runtime=runtime), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def kiosk_id(runtime: Runtime) -> str:
    with runtime.sessions() as session, session.begin():
        return service.register(session, "mairie-accueil", "Mairie, accueil").id
