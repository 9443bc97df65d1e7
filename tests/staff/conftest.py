"""Staff fixtures: cheap argon2 hashes, a pinned clock, an app, and small make_* helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.clock import set_clock
from gateway.runtime import Runtime
from gateway.staff import hashing, service
from gateway.staff.models import StaffAccount, StaffRole
from tests.conftest import Clock

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with tiny costs: the same code path, a hundred times faster."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(hashing, "_hasher", lambda: hasher)
    monkeypatch.setattr(hashing, "_decoy", lambda: hasher.hash("decoy"))


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The one clock, pinned at the real now: sessions and locks are about elapsed time."""
    pinned = Clock(datetime.now(UTC))
    with set_clock(pinned):
        yield pinned


@pytest.fixture
def client(runtime: Runtime, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime), follow_redirects=False) as test_client:
        yield test_client


def make_account(
    runtime: Runtime, login: str = "alice", role: StaffRole = StaffRole.AGENT
) -> StaffAccount:
    with runtime.sessions() as session, session.begin():
        return service.create_account(session, login, role, PASSWORD)


def csrf_token(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def sign_in(
    client: TestClient, login: str = "alice", password: str = PASSWORD, next: str = ""
) -> httpx.Response:
    token = csrf_token(client.get("/staff/sign-in"))
    form = {"login": login, "password": password, "csrf_token": token, "next": next}
    return client.post("/staff/sign-in", data=form)
