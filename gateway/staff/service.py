"""Staff accounts: creation, sign-in with lockout, sessions, and médiateur PINs.

A failed sign-in says only that it failed, whether the login exists, the password is
wrong or the account is locked; each case costs one argon2 check, so timing tells no
more. Every sign-in, failure, lock, sign-out, account creation and PIN change is
journaled, never with the password or the PIN.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from gateway import audit
from gateway.config import Settings
from gateway.errors import PortevoixError
from gateway.i18n import N_, t
from gateway.identity import token_hash
from gateway.staff import hashing
from gateway.staff import repository as staff
from gateway.staff.models import StaffAccount, StaffRole, StaffSession
from gateway.store import base
from gateway.store.base import utcnow

SIGN_IN_ATTEMPTS = 10
SIGN_IN_LOCK = timedelta(minutes=15)
PIN_ATTEMPTS = 5
PIN_LOCK = timedelta(minutes=15)
PIN_ROLES = (StaffRole.MEDIATEUR, StaffRole.ADMIN)
# A session's last use is written at most this often, not on every page.
TOUCH_EVERY = timedelta(minutes=1)
LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    lifetime: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        return cls(
            idle=timedelta(minutes=settings.staff_session_idle_minutes),
            lifetime=timedelta(hours=settings.staff_session_max_hours),
        )


def parse_role(value: str) -> StaffRole:
    try:
        return StaffRole(value.strip().lower().replace("é", "e"))
    except ValueError:
        raise PortevoixError(
            f"unknown role {value!r}: use admin, agent, médiateur or observer"
        ) from None


def create_account(
    session: Session,
    login: str,
    role: StaffRole,
    password: str,
    actor: str = "cli",
    elected: bool = False,
) -> StaffAccount:
    login = login.strip().lower()
    if not LOGIN.fullmatch(login):
        raise PortevoixError(
            f"login {login!r}: use 1 to 64 lower-case letters, digits, '.', '-' or '_'"
        )
    hashing.check_password(password, login)
    if staff.account_by_login(session, login) is not None:
        raise PortevoixError(f"an account named {login!r} already exists")
    account = staff.add_account(session, login, role, hashing.hash_secret(password))
    account.elected = elected
    _journal(session, "staff.created", account, actor=actor, role=role.value, elected=elected)
    return account


def set_elected(session: Session, login: str, elected: bool, actor: str = "cli") -> StaffAccount:
    """Flag an account as an elected official's, or clear the flag."""
    account = staff.account_by_login(session, login.strip().lower(), lock=True)
    if account is None:
        raise PortevoixError(f"no account named {login!r}")
    account.elected = elected
    _journal(session, "staff.elected_set", account, actor=actor, elected=elected)
    return account


def sign_in(session: Session, login: str, password: str, policy: SessionPolicy) -> str | None:
    """Open a session and return its id for the cookie, or None when sign-in fails."""
    now = utcnow()
    account = staff.account_by_login(session, login.strip().lower()[:64], lock=True)
    if account is None:
        hashing.verify(None, password)
        audit.append(session, "staff.sign_in_failed", "staff_account", "unknown", actor="anonymous")
        return None
    if not confirm_password(session, account, password, now):
        return None
    staff.delete_sessions_older_than(session, now - policy.idle, now - policy.lifetime)
    token = secrets.token_urlsafe(32)
    staff.add_session(session, account, token_hash(token), secrets.token_urlsafe(32), now)
    _journal(session, "staff.signed_in", account)
    return token


def confirm_password(session: Session, account: StaffAccount, password: str, now: datetime) -> bool:
    """Check an account's password, counting failures and locking after too many."""
    if remaining(account.locked_until, now):
        hashing.verify(None, password)
        _journal(session, "staff.sign_in_failed", account, reason="locked")
        return False
    if not hashing.verify(account.password_hash, password):
        _count_sign_in_failure(session, account, now)
        return False
    if hashing.needs_rehash(account.password_hash):
        account.password_hash = hashing.hash_secret(password)
    account.failed_sign_ins, account.locked_until = 0, None
    return True


def _count_sign_in_failure(session: Session, account: StaffAccount, now: datetime) -> None:
    account.failed_sign_ins += 1
    _journal(session, "staff.sign_in_failed", account, reason="wrong password")
    if account.failed_sign_ins >= SIGN_IN_ATTEMPTS:
        account.failed_sign_ins, account.locked_until = 0, now + SIGN_IN_LOCK
        _journal(session, "staff.locked", account, until=account.locked_until.isoformat())


def remaining(locked_until: datetime | None, now: datetime) -> timedelta | None:
    """How long a lock still holds, or None when there is none."""
    if locked_until is None or base.as_utc(locked_until) <= now:
        return None
    return base.as_utc(locked_until) - now


def signed_in(session: Session, token: str, policy: SessionPolicy) -> StaffSession | None:
    """The live session with this id, its last use noted; None when unknown or expired."""
    row = staff.session_by_token_hash(session, token_hash(token))
    now = utcnow()
    if row is None or _expired(row, now, policy):
        return None
    if now - base.as_utc(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def _expired(row: StaffSession, now: datetime, policy: SessionPolicy) -> bool:
    idle_since = now - base.as_utc(row.last_seen_at)
    return idle_since >= policy.idle or now - base.as_utc(row.created_at) >= policy.lifetime


def sign_out(session: Session, row: StaffSession) -> None:
    _journal(session, "staff.signed_out", row.account)
    staff.delete_session(session, row)


def set_pin(session: Session, account: StaffAccount, pin: str) -> None:
    hashing.check_pin(pin)
    account.pin_hash = hashing.hash_secret(pin)
    account.failed_pins, account.pin_locked_until = 0, None
    _journal(session, "staff.pin_set", account)


@dataclass(frozen=True)
class PinCheck:
    """What a PIN typed at a kiosk gave: `locked_for` says how long until the next try."""

    staff_id: int | None
    ok: bool
    locked_for: timedelta | None = None

    def message(self, language: str) -> str:
        if self.ok:
            return t(language, PIN_ACCEPTED)
        if self.locked_for:
            minutes = math.ceil(self.locked_for.total_seconds() / 60)
            return t(language, PIN_LOCKED, minutes=minutes)
        return t(language, PIN_WRONG)


PIN_ACCEPTED = N_("PIN accepted.")
PIN_WRONG = N_("Wrong PIN. Try again.")
PIN_LOCKED = N_("Too many wrong PINs. The PIN is locked for %(minutes)s minutes.")


def check_pin(session: Session, staff_id_or_login: int | str, pin: str) -> PinCheck:
    """Check a médiateur's kiosk PIN; repeated failures lock it for a while."""
    account = _pin_holder(session, staff_id_or_login)
    now = utcnow()
    if account is None:
        hashing.verify(None, pin)
        return PinCheck(staff_id=None, ok=False)
    locked_for = remaining(account.pin_locked_until, now)
    if locked_for or not hashing.verify(account.pin_hash, pin):
        return _pin_failure(session, account, now, locked_for)
    if account.pin_hash and hashing.needs_rehash(account.pin_hash):
        account.pin_hash = hashing.hash_secret(pin)
    account.failed_pins = 0
    _journal(session, "staff.pin_accepted", account)
    return PinCheck(staff_id=account.id, ok=True)


def _pin_holder(session: Session, staff_id_or_login: int | str) -> StaffAccount | None:
    if isinstance(staff_id_or_login, int):
        account = staff.account_by_id(session, staff_id_or_login, lock=True)
    else:
        account = staff.account_by_login(session, staff_id_or_login.strip().lower(), lock=True)
    if account is None or account.pin_hash is None or account.role not in PIN_ROLES:
        return None
    return account


def _pin_failure(
    session: Session, account: StaffAccount, now: datetime, locked_for: timedelta | None
) -> PinCheck:
    if locked_for:
        hashing.verify(None, "")
        _journal(session, "staff.pin_failed", account, reason="locked")
        return PinCheck(staff_id=account.id, ok=False, locked_for=locked_for)
    account.failed_pins += 1
    _journal(session, "staff.pin_failed", account, reason="wrong PIN")
    if account.failed_pins < PIN_ATTEMPTS:
        return PinCheck(staff_id=account.id, ok=False)
    account.failed_pins, account.pin_locked_until = 0, now + PIN_LOCK
    _journal(session, "staff.pin_locked", account, until=account.pin_locked_until.isoformat())
    return PinCheck(staff_id=account.id, ok=False, locked_for=PIN_LOCK)


def _journal(
    session: Session, action: str, account: StaffAccount, actor: str | None = None, **payload: Any
) -> None:
    actor = actor or f"staff:{account.login}"
    audit.append(session, action, "staff_account", account.id, payload, actor=actor)
