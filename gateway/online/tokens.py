"""API tokens for online participation and other platforms, stored hashed."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import audit
from gateway.errors import PortevoixError
from gateway.identity import token_hash
from gateway.store.models import ApiToken

TOKEN_PREFIX = "pv_"
# The name prefixes the client's external ids, so it must not contain their separator.
TOKEN_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def create_token(session: Session, name: str) -> str:
    """Create a token; the clear value is returned once and never stored."""
    if not TOKEN_NAME.fullmatch(name):
        raise PortevoixError(
            f"token name {name!r}: use 1 to 64 lower-case letters, digits, '-' or '_'"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with session.begin_nested():
            row = ApiToken(name=name, token_hash=token_hash(token))
            session.add(row)
    except IntegrityError:
        raise PortevoixError(f"a token named {name!r} already exists") from None
    audit.append(session, "token.created", "api_token", row.id, {"name": name}, actor="cli")
    return token


def token_name(session: Session, token: str) -> str | None:
    return session.scalar(
        select(ApiToken.name).where(
            ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None)
        )
    )


def active_count(session: Session) -> int:
    return len(session.scalars(select(ApiToken.id).where(ApiToken.revoked_at.is_(None))).all())
