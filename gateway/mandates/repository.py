"""Mandate queries: the list agents oversee, and the row a revocation locks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from gateway.mandates.models import KioskMandate
from gateway.staff.models import StaffAccount
from gateway.store.models import Consultation, Contribution

LIMIT = 500
_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True)
class MandateFilters:
    consultation: str = ""
    mediateur: str = ""
    kiosk: str = ""
    day: date | None = None


@dataclass(frozen=True)
class Listed:
    mandate: KioskMandate
    mediateur: str
    consultation: str
    contribution_status: str | None


def lock_mandate(session: Session, mandate_id: int) -> KioskMandate | None:
    return session.scalar(
        select(KioskMandate).where(KioskMandate.id == mandate_id).with_for_update()
    )


def mandates(session: Session, filters: MandateFilters) -> list[Listed]:
    """Mandates matching the filters, newest first."""
    query = _filtered(_listing(), filters).order_by(KioskMandate.id.desc()).limit(LIMIT)
    return [Listed(*row) for row in session.execute(query).all()]


def counts(session: Session, filters: MandateFilters) -> tuple[int, int]:
    """How many mandates match the filters, and how many of them are revoked."""
    query = _filtered(
        select(func.count(KioskMandate.id), func.count(KioskMandate.revoked_at))
        .join(StaffAccount, StaffAccount.id == KioskMandate.staff_id)
        .join(Consultation, Consultation.id == KioskMandate.consultation_id),
        filters,
    )
    total, revoked = session.execute(query).one()
    return int(total), int(revoked)


def _listing() -> Select[KioskMandate, str, str, str]:
    return (
        select(KioskMandate, StaffAccount.login, Consultation.code, Contribution.status)
        .join(StaffAccount, StaffAccount.id == KioskMandate.staff_id)
        .join(Consultation, Consultation.id == KioskMandate.consultation_id)
        .outerjoin(Contribution, Contribution.id == KioskMandate.contribution_id)
    )


def _filtered(query: _Query, filters: MandateFilters) -> _Query:
    if filters.consultation:
        query = query.where(Consultation.code == filters.consultation.strip().upper())
    if filters.mediateur:
        query = query.where(StaffAccount.login == filters.mediateur.strip().lower())
    if filters.kiosk:
        query = query.where(KioskMandate.kiosk_id == filters.kiosk.strip())
    if filters.day is not None:
        start = datetime.combine(filters.day, time(), UTC)
        query = query.where(KioskMandate.started_at >= start,
                            KioskMandate.started_at < start + timedelta(days=1))  # fmt: skip
    return query
