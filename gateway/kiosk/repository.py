"""Kiosk and kiosk-session queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.errors import PortevoixError
from gateway.kiosk.models import Kiosk, KioskSession, OnlineCode
from gateway.mandates.models import KioskMandate
from gateway.staff.models import StaffAccount
from gateway.store.base import as_utc
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


def find_session(session: Session, kiosk_id: str | None, token_hash: str) -> KioskSession | None:
    """A kiosk's session, or (`kiosk_id` None) an online one."""
    where = KioskSession.kiosk_id == kiosk_id if kiosk_id else KioskSession.kiosk_id.is_(None)
    return session.scalar(
        select(KioskSession).where(KioskSession.token_hash == token_hash, where).with_for_update()
    )


def add_session(session: Session, row: KioskSession) -> KioskSession:
    session.add(row)
    session.flush()
    return row


def delete_session(session: Session, row: KioskSession) -> None:
    session.delete(row)
    session.flush()


def idle_sessions(
    session: Session, kiosk_seen_before: datetime, online_seen_before: datetime
) -> list[KioskSession]:
    """Kiosk sessions idle past the countdown, online ones past their longer lifetime."""
    query = select(KioskSession).where(
        or_(
            and_(KioskSession.kiosk_id.is_not(None), KioskSession.last_seen_at < kiosk_seen_before),
            and_(KioskSession.kiosk_id.is_(None), KioskSession.last_seen_at < online_seen_before),
        )
    )
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
                Kiosk.id,
                Kiosk.name,
                Kiosk.place,
                func.count(KioskMandate.id).label("mandates"),
                func.count(KioskMandate.contribution_id).label("contributions"),
            )
            .outerjoin(KioskMandate, KioskMandate.kiosk_id == Kiosk.id)
            .group_by(Kiosk.id, Kiosk.name, Kiosk.place)
            .order_by(Kiosk.name)
        )
    )


def add_code(session: Session, code: OnlineCode) -> OnlineCode:
    session.add(code)
    session.flush()
    return code


def codes_since(session: Session, phone_hash: str, since: datetime) -> int:
    query = select(func.count()).where(
        OnlineCode.phone_hash == phone_hash, OnlineCode.created_at >= since
    )
    return session.scalar(query) or 0


def live_code(
    session: Session, session_id: int, now: datetime, max_attempts: int
) -> OnlineCode | None:
    """The latest code sent for this session, if unused, unexpired and with tries left."""
    latest = session.scalar(
        select(OnlineCode)
        .where(OnlineCode.session_id == session_id)
        .order_by(OnlineCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if latest is None or latest.used_at is not None or latest.attempts >= max_attempts:
        return None
    return latest if as_utc(latest.expires_at) > now else None


def delete_codes_before(session: Session, before: datetime) -> None:
    session.execute(delete(OnlineCode).where(OnlineCode.created_at < before))
