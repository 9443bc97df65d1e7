"""Argon2 hashes of passwords and PINs, and the rules a new password or PIN must meet."""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.errors import PortevoixError
from gateway.i18n import N_

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
# "aaaaaaaaaaaa" or "abababababab" are long enough but guessed at once.
MIN_DISTINCT_CHARACTERS = 6
# A login of one or two letters is in most passwords: only longer ones are looked for.
MIN_LOGIN_IN_PASSWORD = 3
PIN_FORMAT = re.compile(r"[0-9]{4,8}")


class WeakSecret(PortevoixError):
    """A refused password or PIN; `message` is a catalogue id, so pages can translate it."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message % values if values else message)
        self.message, self.values = message, values


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _decoy() -> str:
    return _hasher().hash("decoy: an unknown login costs as much time as a known one")


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def verify(stored_hash: str | None, secret: str) -> bool:
    """Check a secret in about the same time whether or not there is a hash to check."""
    try:
        return _hasher().verify(stored_hash or _decoy(), secret) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


def check_password(password: str, login: str) -> None:
    """Refuse a password that is short, repetitive or made from the login."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise WeakSecret(
            N_("The password needs %(min)s to %(max)s characters: a few words make a good one."),
            min=MIN_PASSWORD_LENGTH,
            max=MAX_PASSWORD_LENGTH,
        )
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        raise WeakSecret(N_("The password repeats too few characters: mix more of them."))
    if len(login) >= MIN_LOGIN_IN_PASSWORD and login.lower() in password.lower():
        raise WeakSecret(N_("The password must not contain the login."))


def check_pin(pin: str) -> None:
    """Refuse a PIN that is not 4 to 8 digits, or that anyone would try first."""
    if not PIN_FORMAT.fullmatch(pin):
        raise WeakSecret(N_("A PIN is 4 to 8 digits."))
    steps = {int(b) - int(a) for a, b in pairwise(pin)}
    if steps in ({0}, {1}, {-1}):
        raise WeakSecret(
            N_("A PIN must not repeat one digit or count up or down, like 1111 or 1234.")
        )
