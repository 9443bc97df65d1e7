"""Contact preferences: who asked not to be contacted, honoured by every channel."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gateway.store.base import utcnow
from gateway.store.models import Channel, ContactOptOut
from gateway.store.session import insert_or_ignore


def is_opted_out(session: Session, phone_hash: str) -> bool:
    found = session.scalar(select(ContactOptOut.id).where(ContactOptOut.phone_hash == phone_hash))
    return found is not None


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
