"""A finished pass, sealed for the browser's outbox: unreadable there, recordable later.

When the network drops as a resident sends, the page keeps the sealed submission in
an outbox and posts it when the network returns, even after the kiosk's idle wipe
erased the session. Fernet (AES with an HMAC, keyed from the secret key) keeps it
unreadable and unforgeable in the browser; it is refused after `MAX_AGE`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from gateway.config import Settings
from gateway.kiosk.models import KioskSession

MAX_AGE_SECONDS = 24 * 3600
FIELDS = ("kiosk_id", "state", "run_id", "mediateur_id", "mandate_id", "phone_hash")


def _fernet(settings: Settings) -> Fernet:
    key = hashlib.sha256(b"kiosk-outbox:" + settings.secret).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(row: KioskSession, settings: Settings) -> str:
    """The session's pass, as an opaque token the summary page carries."""
    content = {name: getattr(row, name) for name in FIELDS}
    return _fernet(settings).encrypt(json.dumps(content).encode()).decode()


def unseal(token: str, settings: Settings) -> KioskSession | None:
    """A detached session holding the sealed pass; None if forged, damaged or too old."""
    try:
        content: dict[str, Any] = json.loads(
            _fernet(settings).decrypt(token.encode(), ttl=MAX_AGE_SECONDS)
        )
    except (InvalidToken, ValueError):
        return None
    return KioskSession(token_hash="", **{name: content.get(name) for name in FIELDS})
