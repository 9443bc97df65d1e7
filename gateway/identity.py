"""Participant keys: keyed hashes, so the store never holds a raw identifier."""

from __future__ import annotations

import hashlib
import hmac

import phonenumbers

from gateway.errors import PortevoixError


class InvalidPhoneNumber(PortevoixError):
    pass


def participant_key(kind: str, value: str, secret: bytes) -> str:
    """Return the HMAC-SHA256 of an identifier, namespaced by its kind."""
    message = f"{kind}:{value}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def normalise_phone(raw: str, region: str = "FR") -> str:
    """Return the E.164 form of a phone number typed in any usual way."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(f"not a phone number: {raw!r}") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumber(f"not a possible phone number: {raw!r}")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def token_hash(token: str) -> str:
    """Hash an API token for storage; tokens are random, so no key is needed."""
    return hashlib.sha256(token.encode()).hexdigest()
