"""API tokens for online participation and other platforms, stored hashed."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import audit
from gateway.errors import PortevoixError
from gateway.identity import token_hash
from gateway.store.models import ApiToken

TOKEN_PREFIX = "pv_"
# The name namespaces the client's participants ("online_account@name"), so it
# must not contain the separators of participant keys.
TOKEN_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class Scope(StrEnum):
    """What a client may do beyond posting contributions for its own accounts."""

    # The client checks phone numbers itself (e.g. by a one-time code), so it may
    # speak for a phone number, the identity the SMS and phone channels use.
    VERIFIED_PHONE = "verified-phone"


@dataclass(frozen=True)
class ApiClient:
    id: int
    name: str
    scopes: frozenset[Scope]


def parse_scopes(values: Iterable[str]) -> frozenset[Scope]:
    """Read scopes given one by one or as comma lists; refuse unknown ones."""
    names = {name.strip() for value in values for name in value.split(",") if name.strip()}
    unknown = sorted(names - set(Scope))
    if unknown:
        known = ", ".join(Scope)
        raise PortevoixError(f"unknown scope {unknown[0]!r}: known scopes are {known}")
    return frozenset(Scope(name) for name in names)


def create_token(session: Session, name: str, scopes: frozenset[Scope] = frozenset()) -> str:
    """Create a token; the clear value is returned once and never stored."""
    if not TOKEN_NAME.fullmatch(name):
        raise PortevoixError(
            f"token name {name!r}: use 1 to 64 lower-case letters, digits, '-' or '_'"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    granted = sorted(scopes)
    try:
        with session.begin_nested():
            row = ApiToken(name=name, token_hash=token_hash(token), scopes=" ".join(granted))
            session.add(row)
    except IntegrityError:
        raise PortevoixError(f"a token named {name!r} already exists") from None
    payload = {"name": name, "scopes": granted}
    audit.append(session, "token.created", "api_token", row.id, payload, actor="cli")
    return token


def find_client(session: Session, token: str) -> ApiClient | None:
    """Return the client a valid, unrevoked token belongs to."""
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    # A scope this version no longer knows grants nothing.
    scopes = frozenset(Scope(name) for name in row.scopes.split() if name in set(Scope))
    return ApiClient(id=row.id, name=row.name, scopes=scopes)


def active_count(session: Session) -> int:
    return len(session.scalars(select(ApiToken.id).where(ApiToken.revoked_at.is_(None))).all())
