"""Contact preferences: who asked not to be contacted, honoured by every channel."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Exists, delete, select
from sqlalchemy.orm import Session

from gateway.store.base import utcnow
from gateway.store.models import Channel, ContactOptOut
from gateway.store.session import insert_or_ignore


def opted_out(phone_hash: str | ColumnElement[str]) -> Exists:
    """Whether a number opted out, as SQL, for a channel that reads it with other things."""
    return select(ContactOptOut.id).where(ContactOptOut.phone_hash == phone_hash).exists()


def is_opted_out(session: Session, phone_hash: str) -> bool:
    return bool(session.scalar(select(opted_out(phone_hash))))


def opt_out(session: Session, phone_hash: str, channel: Channel, said: str) -> bool:
    """Record an opt-out; False when the number had already opted out (on any channel)."""
    new_id = insert_or_ignore(
        session,
        ContactOptOut,
        phone_hash=phone_hash,
        channel=channel.value,
        said=said[:32],
        opted_out_at=utcnow(),
    )
    return new_id is not None


def opt_in(session: Session, phone_hash: str) -> bool:
    """Remove an opt-out; False when there was none."""
    removed = session.execute(delete(ContactOptOut).where(ContactOptOut.phone_hash == phone_hash))
    return bool(removed.rowcount)  # type: ignore[attr-defined]
