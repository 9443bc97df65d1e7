"""Settings refuse what would make participant keys guessable outside development."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from gateway.config import Settings


@pytest.mark.parametrize(
    "secret",
    [
        "dev-only-change-me",
        "short-but-random-Xq9",
        "a" * 32,
        "ab" * 16,
        "0123456789abcdef" * 2,
        "password" * 4,
        "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb",
    ],
)
def test_weak_secrets_are_refused_in_production(secret: str) -> None:
    with pytest.raises(ValidationError, match="PORTEVOIX_SECRET_KEY must be set"):
        Settings(environment="production", secret_key=secret)  # type: ignore[arg-type]


def test_random_secrets_are_accepted_in_production() -> None:
    for _ in range(200):
        for secret in (secrets.token_hex(16), secrets.token_hex(32), secrets.token_urlsafe(32)):
            Settings(environment="production", secret_key=secret)  # type: ignore[arg-type]


def test_development_takes_any_secret() -> None:
    assert Settings(environment="development", secret_key="a" * 32).secret == b"a" * 32  # type: ignore[arg-type]
