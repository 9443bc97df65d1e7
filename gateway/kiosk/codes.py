"""One-time codes that prove a phone online or at a kiosk, sent by SMS through Twilio.

Online the code is required under one person, one voice; at a kiosk the number is
optional, offered on the summary, and a resident who gives none is checked by a
médiateur.

Only a keyed hash of each code is stored; a code expires, takes a few tries, works
only in the browser session that asked for it, and a number gets a few codes an
hour. The number is used to send the SMS, then forgotten: the session keeps the
keyed hash the SMS channel computes for it, so a person who votes online and by
SMS is one participant to the door.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioException

from gateway.config import Settings
from gateway.errors import PortevoixError
from gateway.i18n import N_, t
from gateway.identity import InvalidPhoneNumber, normalise_phone, participant_key
from gateway.kiosk import repository
from gateway.kiosk.models import KioskSession, OnlineCode
from gateway.store.base import utcnow
from gateway.twilio.client import rest_client

log = logging.getLogger(__name__)
CODE_DIGITS = 6
KEEP_CODES = timedelta(days=1)
Sender = Callable[[str, str], None]

NOT_A_NUMBER = N_("This is not a mobile phone number. Check it and try again.")
TOO_MANY = N_("Too many codes were sent to this number. Try again in an hour.")
NOT_SENT = N_("The code could not be sent. Try again in a few minutes.")
WRONG = N_("This code is not the right one. Check the SMS and try again.")
EXPIRED = N_("This code no longer works. Ask for a new one.")
CODE_SMS = N_("Your Porte-voix code: %(code)s. It works for %(minutes)s minutes. Do not share it.")


class CodeRefused(PortevoixError):
    """No code sent, or the code typed is refused; `message` is a catalogue id."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def twilio_sender(settings: Settings) -> Sender:
    """Send one SMS with the platform's Twilio client."""

    def send(to: str, body: str) -> None:
        try:
            rest_client(settings).messages.create(
                to=to, from_=settings.twilio_from_number, body=body
            )
        except (TwilioException, PortevoixError) as error:
            log.warning("a one-time code could not be sent: %s", error)
            raise CodeRefused(NOT_SENT) from None

    return send


def send_code(
    session: Session, row: KioskSession, raw: str, settings: Settings, language: str, send: Sender
) -> None:
    """Send a new code to the number typed, unless it had too many this hour."""
    try:
        number = normalise_phone(raw.strip()[:32])
    except InvalidPhoneNumber:
        raise CodeRefused(NOT_A_NUMBER) from None
    phone_hash = participant_key("phone", number, settings.secret)
    now = utcnow()
    sent = repository.codes_since(session, phone_hash, now - timedelta(hours=1))
    if sent >= settings.online_codes_per_hour:
        raise CodeRefused(TOO_MANY)
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    lifetime = settings.online_code_minutes
    repository.add_code(
        session,
        OnlineCode(
            session_id=row.id,
            phone_hash=phone_hash,
            code_hash=_code_hash(settings, phone_hash, code),
            attempts=0,
            created_at=now,
            expires_at=now + timedelta(minutes=lifetime),
        ),
    )
    send(number, t(language, CODE_SMS, code=code, minutes=lifetime))


def _code_hash(settings: Settings, phone_hash: str, code: str) -> str:
    message = f"online-code:{phone_hash}:{code}".encode()
    return hmac.new(settings.secret, message, hashlib.sha256).hexdigest()


def verify(session: Session, row: KioskSession, typed: str, settings: Settings) -> None:
    """Prove the session's phone with the code typed; each wrong try counts."""
    code = repository.live_code(session, row.id, utcnow(), settings.online_code_attempts)
    if code is None:
        raise CodeRefused(EXPIRED)
    digits = "".join(c for c in typed if c.isdigit())[:CODE_DIGITS]
    expected = _code_hash(settings, code.phone_hash, digits)
    if not hmac.compare_digest(code.code_hash, expected):
        code.attempts += 1
        tries_left = code.attempts < settings.online_code_attempts
        raise CodeRefused(WRONG if tries_left else EXPIRED)
    code.used_at = utcnow()
    row.phone_hash = code.phone_hash
