"""SMS housekeeping: raw numbers and the inbound log do not outlive their use."""

from __future__ import annotations

from datetime import timedelta

from gateway.runtime import Runtime
from gateway.sms import repository as sms
from gateway.store.base import utcnow


def purge_numbers(runtime: Runtime) -> None:
    """Forget raw numbers of idle conversations and of sent messages; trim the inbound log."""
    settings = runtime.settings
    now = utcnow()
    with runtime.sessions() as session, session.begin():
        sms.purge_idle_numbers(session, now - timedelta(minutes=settings.sms_idle_minutes))
        sms.purge_outbound_numbers(session)
        sms.delete_inbound_before(session, now - timedelta(days=settings.sms_log_retention_days))
