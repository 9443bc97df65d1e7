"""Kiosk housekeeping: sessions left idle are wiped even if no page asks again."""

from __future__ import annotations

from datetime import timedelta

from gateway.kiosk import service
from gateway.runtime import Runtime
from gateway.store.session import transaction

PURGE_EVERY = timedelta(minutes=1)


def purge_sessions(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        service.purge_idle(session, runtime.settings)
