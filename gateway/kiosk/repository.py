"""Kiosk and kiosk-session queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.errors import PortevoixError
from gateway.kiosk.models import Kiosk, KioskMandate, KioskSession
from gateway.staff.models import StaffAccount
from gateway.store.models import Consultation


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


def idle_sessions(session: Session, seen_before: datetime) -> list[KioskSession]:
    query = select(KioskSession).where(KioskSession.last_seen_at < seen_before)
    return list(session.scalars(query.with_for_update()))


def delete_sessions(session: Session, ids: list[int]) -> int:
    result = session.execute(delete(KioskSession).where(KioskSession.id.in_(ids)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def add_mandate(session: Session, mandate: KioskMandate) -> KioskMandate:
    session.add(mandate)
    session.flush()
    return mandate


def find_mandate(session: Session, mandate_id: int) -> KioskMandate | None:
    return session.get(KioskMandate, mandate_id)


def assisted_count(session: Session, staff_id: int, consultation_id: int) -> int:
    """Contributions this médiateur helped with (or keyed in) for this consultation."""
    query = select(func.count()).where(
        KioskMandate.staff_id == staff_id,
        KioskMandate.consultation_id == consultation_id,
        KioskMandate.contribution_id.is_not(None),
    )
    return session.scalar(query) or 0


def counts_per_mediateur(session: Session) -> list[Row[Any]]:
    """Mandates and assisted contributions per médiateur and consultation."""
    return list(
        session.execute(
            select(
                StaffAccount.login,
                Consultation.code,
                func.count(KioskMandate.id).label("mandates"),
                func.count(KioskMandate.contribution_id).label("contributions"),
            )
            .join(StaffAccount, StaffAccount.id == KioskMandate.staff_id)
            .join(Consultation, Consultation.id == KioskMandate.consultation_id)
            .group_by(StaffAccount.login, Consultation.code)
            .order_by(StaffAccount.login, Consultation.code)
        )
    )


def counts_per_kiosk(session: Session) -> list[Row[Any]]:
    """Mandates and assisted contributions per kiosk, every kiosk listed."""
    return list(
        session.execute(
            select(
                Kiosk.name,
                Kiosk.place,
                func.count(KioskMandate.id).label("mandates"),
                func.count(KioskMandate.contribution_id).label("contributions"),
            )
            .outerjoin(KioskMandate, KioskMandate.kiosk_id == Kiosk.id)
            .group_by(Kiosk.name, Kiosk.place)
            .order_by(Kiosk.name)
        )
    )
