"""Participant keys: keyed hashes, so the store never holds a raw identifier.

Every identifier gets one normal form before it is hashed, whatever channel
brought it, so that one person spelt two ways is still one person.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Callable

import phonenumbers

from gateway.consultations.schema import IdentityKey
from gateway.errors import PortevoixError


class InvalidIdentity(PortevoixError):
    pass


class InvalidPhoneNumber(InvalidIdentity):
    pass


def participant_key(kind: str, value: str, secret: bytes) -> str:
    """Return the HMAC-SHA256 of an identifier, namespaced by its kind."""
    message = f"{kind}:{value}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def normal_identity(kind: IdentityKey | str, raw: str) -> str:
    """Return the one normal form of an identifier of this kind, or raise InvalidIdentity."""
    normalise = _NORMAL_FORMS[IdentityKey(kind)]
    value = normalise(raw)
    if not value:
        raise InvalidIdentity(f"{IdentityKey(kind).value}: the identifier is empty")
    return value


def normalise_phone(raw: str, region: str = "FR") -> str:
    """Return the E.164 form of a phone number typed in any usual way.

    "0639987733", "+33 6 39 98 77 33", "0033…" and "tel:+33639987733" are one number.
    Only a possible length is required, not a number in an allocated range: the
    library's ranges lag behind new allocations, and a number a carrier delivered
    must never be refused.
    """
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(f"not a phone number: {raw!r}") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumber(f"not a possible phone number: {raw!r}")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def spoken_number(e164: str, region: str = "FR") -> str:
    """A number as residents write it ("06 12 34 56 78"); abroad, in international form."""
    try:
        number = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    national = phonenumbers.region_code_for_number(number) == region
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if national
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(number, style))


def _text(raw: str) -> str:
    # NFKC folds full-width and compatibility forms; split() also removes
    # non-breaking and other Unicode spaces, and collapses runs of them.
    return " ".join(unicodedata.normalize("NFKC", raw).split())


def _folded(raw: str) -> str:
    # Folding case can undo NFKC (e.g. some ligatures), so normalise once more.
    return unicodedata.normalize("NFKC", _text(raw).casefold())


def _email(raw: str) -> str:
    # The whole address is case-folded: mailboxes that differ only by case are one
    # person in practice. Provider tricks (dots, +tags) are not guessed at.
    address = _folded(raw)
    local, at, domain = address.partition("@")
    if not (local and at and domain) or "@" in domain or " " in address:
        raise InvalidIdentity(f"not an e-mail address: {raw!r}")
    return address


def _account(raw: str) -> str:
    # Case-folded: the platforms communes use do not let two accounts differ only by
    # case (Decidim nicknames are unique whatever their case), and people retype
    # their login with the case they remember.
    return _folded(raw)


def _printed_code(raw: str) -> str:
    # Ballot serials and kiosk tickets are printed codes, read back by people or
    # machines: spaces and hyphens only group the characters, and case is noise.
    return _text(raw).replace(" ", "").replace("-", "").upper()


_NORMAL_FORMS: dict[IdentityKey, Callable[[str], str]] = {
    IdentityKey.PHONE: normalise_phone,
    IdentityKey.EMAIL: _email,
    IdentityKey.ONLINE_ACCOUNT: _account,
    IdentityKey.BALLOT_SERIAL: _printed_code,
    IdentityKey.KIOSK_TICKET: _printed_code,
}


def token_hash(token: str) -> str:
    """Hash an API token for storage; tokens are random, so no key is needed."""
    return hashlib.sha256(token.encode()).hexdigest()
