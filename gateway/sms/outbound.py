"""Outbound SMS: invitations queued from a list of numbers, sent by a job through Twilio.

Sending respects, in this order: opt-outs (checked again just before sending),
quiet hours in the commune's time zone, and a per-minute budget. The job runs
every few minutes in the serving process, so a queue simply drains over time.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from gateway import contacts
from gateway.config import Settings
from gateway.consultations import repository as consultations
from gateway.consultations.schema import IdentityKey
from gateway.errors import PortevoixError
from gateway.identity import InvalidPhoneNumber, normal_identity, participant_key
from gateway.runtime import Runtime
from gateway.sms import messages
from gateway.sms import repository as sms
from gateway.sms.models import OutboundStatus, SmsOutbound
from gateway.store.base import utcnow
from gateway.store.models import Channel
from gateway.twilio.client import rest_client

log = logging.getLogger(__name__)
INVITATION = "invitation"


@dataclass
class InvitationReport:
    queued: int = 0
    already_queued: int = 0
    opted_out: int = 0
    invalid: list[str] = field(default_factory=list)


def read_numbers(path: Path) -> list[str]:
    """Numbers from a CSV file: a column named phone/telephone/numero, or the first column."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header = [cell.strip().casefold() for cell in rows[0]]
    for name in ("phone", "telephone", "téléphone", "numero", "numéro", "number"):
        if name in header:
            column = header.index(name)
            return [row[column].strip() for row in rows[1:] if len(row) > column]
    return [row[0].strip() for row in rows]


def queue_invitations(
    session: Session, settings: Settings, code: str, numbers: list[str], language: str = "fr"
) -> InvitationReport:
    """Queue one invitation per number; opted-out numbers and repeats are left out."""
    definition = consultations.definition_of(consultations.get(session, code))
    if Channel.SMS not in definition.channels:
        raise PortevoixError(f"consultation {definition.code} is not open by SMS")
    body = messages.fit(messages.invitation(definition, language), definition)
    report = InvitationReport()
    for raw in numbers:
        try:
            number = normal_identity(IdentityKey.PHONE, raw)
        except InvalidPhoneNumber:
            report.invalid.append(raw)
            continue
        phone_hash = participant_key("phone", number, settings.secret)
        if contacts.is_opted_out(session, phone_hash):
            report.opted_out += 1
            continue
        queued = sms.queue_outbound(
            session,
            kind=INVITATION,
            consultation_code=definition.code,
            phone_hash=phone_hash,
            to=number,
            body=body,
        )
        if queued is None:
            report.already_queued += 1
        else:
            report.queued += 1
    return report


def in_quiet_hours(settings: Settings, at: datetime) -> bool:
    local = at.astimezone(ZoneInfo(settings.sms_timezone))
    if local.weekday() in settings.sms_quiet_days:
        return True
    start, end, now = settings.sms_quiet_start, settings.sms_quiet_end, local.time()
    if start <= end:
        return start <= now < end
    return now >= start or now < end


def twilio_client(settings: Settings) -> Client:
    if not settings.twilio_from_number:
        raise PortevoixError("outbound SMS needs PORTEVOIX_TWILIO_FROM_NUMBER")
    return rest_client(settings)


SEND_EVERY = timedelta(minutes=5)


def send_due(runtime: Runtime) -> None:
    """Send queued messages within this run's budget, unless in quiet hours."""
    settle_early_statuses(runtime)
    send_queued(runtime, utcnow())


def settle_early_statuses(runtime: Runtime) -> None:
    """Apply callbacks that raced with the send storing their sid (both missed the other)."""
    with runtime.sessions() as session, session.begin():
        for outbound in sms.sent_without_final_status(session):
            sms.apply_early_statuses(session, outbound)


def send_queued(runtime: Runtime, now: datetime) -> int:
    settings = runtime.settings
    if in_quiet_hours(settings, now):
        return 0
    with runtime.sessions() as session:
        budget = settings.sms_send_per_minute * int(SEND_EVERY.total_seconds() // 60)
        due = sms.queued_ids(session, budget)
    if not due:
        return 0
    client = twilio_client(settings)
    return sum(_send_one(runtime, client, outbound_id) for outbound_id in due)


def _send_one(runtime: Runtime, client: Client, outbound_id: int) -> int:
    settings = runtime.settings
    with runtime.sessions() as session, session.begin():
        outbound = sms.claim_outbound(session, outbound_id)
        if outbound is None:
            return 0  # Another worker took it.
        if contacts.is_opted_out(session, outbound.phone_hash):
            _close(outbound, OutboundStatus.SKIPPED, "opted out")
            return 0
        to, body = outbound.to, outbound.body
    status, sid, reason = _deliver(client, settings, to or "", body)
    with runtime.sessions() as session, session.begin():
        outbound = session.get_one(SmsOutbound, outbound_id)
        outbound.message_sid = sid
        outbound.sent_at = utcnow() if sid else None
        _close(outbound, status, reason)
        if sid:
            sms.apply_early_statuses(session, outbound)
    return 1 if sid else 0


def _deliver(
    client: Client, settings: Settings, to: str, body: str
) -> tuple[OutboundStatus, str | None, str | None]:
    try:
        message = client.messages.create(
            to=to,
            from_=settings.twilio_from_number,
            body=body,
            status_callback=f"{settings.public_url.rstrip('/')}/sms/twilio/status",
        )
    except TwilioRestException as error:
        log.warning("Twilio refused an SMS: %s", error)
        return OutboundStatus.FAILED, None, f"Twilio error {error.code}: {error.msg}"[:500]
    except TwilioException as error:
        log.warning("could not reach Twilio: %s", error)
        return OutboundStatus.FAILED, None, str(error)[:500]
    return OutboundStatus.SENT, str(message.sid), None


def _close(outbound: SmsOutbound, status: OutboundStatus, reason: str | None) -> None:
    outbound.status = status
    outbound.reason = reason
    outbound.to = None  # Twilio has it now, or it will never be sent.
