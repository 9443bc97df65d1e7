"""Kiosk and kiosk-session queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.errors import PortevoixError
from gateway.kiosk.models import Kiosk, KioskSession


def add_kiosk(session: Session, kiosk_id: str, name: str, place: str) -> Kiosk:
    try:
        with session.begin_nested():
            kiosk = Kiosk(id=kiosk_id, name=name, place=place)
            session.add(kiosk)
    except IntegrityError:
        raise PortevoixError(f"a kiosk named {name!r} already exists") from None
    return kiosk


def find_kiosk(session: Session, kiosk_id: str) -> Kiosk | None:
    return session.get(Kiosk, kiosk_id)


def list_kiosks(session: Session) -> list[Kiosk]:
    return list(session.scalars(select(Kiosk).order_by(Kiosk.name)))


def find_session(session: Session, kiosk_id: str, token_hash: str) -> KioskSession | None:
    return session.scalar(
        select(KioskSession)
        .where(KioskSession.token_hash == token_hash, KioskSession.kiosk_id == kiosk_id)
        .with_for_update()
    )


def add_session(session: Session, row: KioskSession) -> KioskSession:
    session.add(row)
    session.flush()
    return row


def delete_session(session: Session, row: KioskSession) -> None:
    session.delete(row)
    session.flush()


def delete_idle_sessions(session: Session, seen_before: datetime) -> int:
    result = session.execute(delete(KioskSession).where(KioskSession.last_seen_at < seen_before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
