"""Queries on staff accounts and sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from gateway.staff.models import StaffAccount, StaffSession


def account_by_login(session: Session, login: str, lock: bool = False) -> StaffAccount | None:
    """The account, row-locked when `lock` so concurrent failures are all counted."""
    query = select(StaffAccount).where(StaffAccount.login == login)
    return session.scalar(query.with_for_update() if lock else query)


def account_by_id(session: Session, staff_id: int, lock: bool = False) -> StaffAccount | None:
    query = select(StaffAccount).where(StaffAccount.id == staff_id)
    return session.scalar(query.with_for_update() if lock else query)


def list_accounts(session: Session) -> list[StaffAccount]:
    return list(session.scalars(select(StaffAccount).order_by(StaffAccount.login)))


def add_account(session: Session, login: str, role: str, password_hash: str) -> StaffAccount:
    account = StaffAccount(login=login, role=role, password_hash=password_hash)
    session.add(account)
    session.flush()
    return account


def add_session(
    session: Session, account: StaffAccount, token_hash: str, csrf_token: str, now: datetime
) -> StaffSession:
    row = StaffSession(
        token_hash=token_hash,
        account=account,
        csrf_token=csrf_token,
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    session.flush()
    return row


def session_by_token_hash(session: Session, token_hash: str) -> StaffSession | None:
    return session.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash))


def delete_session(session: Session, row: StaffSession) -> None:
    session.delete(row)
    session.flush()


def delete_sessions_older_than(
    session: Session, seen_before: datetime, opened_before: datetime
) -> None:
    session.execute(
        delete(StaffSession).where(
            or_(StaffSession.last_seen_at < seen_before, StaffSession.created_at < opened_before)
        )
    )
