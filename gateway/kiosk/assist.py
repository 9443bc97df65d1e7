"""The médiateur-assisted mode: PIN sign-in at a kiosk, consent as a mandate, the cap.

A médiateur signs in on the kiosk with their own PIN (the staff accounts' lockout
applies). Before helping, the resident's consent is recorded as a mandate: who
helps, for which consultation, how the resident agreed; it ends with the kiosk
session. An elected official's account never assists, and one médiateur helps
with at most `kiosk_assist_cap` contributions per consultation. Every step is
journaled; the contribution itself is journaled by the door, with the médiateur
as its actor.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway import audit
from gateway.consultations import repository as consultations
from gateway.errors import PortevoixError
from gateway.i18n import N_
from gateway.kiosk import repository
from gateway.kiosk.models import Consent, Kiosk, KioskSession
from gateway.mandates.models import KioskMandate
from gateway.staff import repository as staff
from gateway.staff import service as staff_service
from gateway.staff.models import StaffAccount
from gateway.store.base import utcnow
from gateway.store.models import Channel

ELECTED = N_("An elected official's account cannot help residents answer.")
CAPPED = N_(
    "You have already helped with as many contributions to this consultation as allowed. "
    "Please ask another médiateur."
)
CHOOSE_CONSENT = N_("Choose how the person agreed to be helped.")
NOT_TICKED = N_("The person must tick the box to agree.")
NO_PAPER = N_(
    "This consultation does not take paper forms. Help the person answer on the screen instead."
)


class AssistRefused(PortevoixError):
    """The médiateur may not help here; `message` is a catalogue id."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sign_in(session: Session, kiosk: Kiosk, login: str, pin: str) -> staff_service.PinCheck:
    """Check a médiateur's PIN at this kiosk; an elected official is refused."""
    check = staff_service.check_pin(session, login.strip().lower()[:64], pin[:16])
    if not check.ok or check.staff_id is None:
        return check
    account = _account(session, check.staff_id)
    if account.elected:
        _journal(session, "kiosk.assist_refused", kiosk, account, reason="elected official")
        raise AssistRefused(ELECTED)
    _journal(session, "kiosk.assist_signed_in", kiosk, account)
    return check


def _account(session: Session, staff_id: int, lock: bool = False) -> StaffAccount:
    account = staff.account_by_id(session, staff_id, lock=lock)
    assert account is not None, "a PIN checked for an account that is gone"
    return account


def helper(session: Session, row: KioskSession | None) -> StaffAccount | None:
    """The médiateur signed in on this kiosk session, if any."""
    if row is None or row.mediateur_id is None:
        return None
    return staff.account_by_id(session, row.mediateur_id)


def mandate_of(session: Session, row: KioskSession) -> KioskMandate | None:
    return None if row.mandate_id is None else repository.find_mandate(session, row.mandate_id)


def covers(session: Session, row: KioskSession, code: str) -> bool:
    """Whether the session's mandate is for this consultation."""
    mandate = mandate_of(session, row)
    consultation = consultations.find(session, code)
    if mandate is None or consultation is None:
        return False
    return mandate.consultation_id == consultation.id


def open_mandate(
    session: Session,
    kiosk: Kiosk,
    row: KioskSession,
    code: str,
    consent: str,
    ticked: bool,
    cap: int,
) -> KioskMandate:
    """Record the resident's consent to this médiateur's help for `code`."""
    if consent not in set(Consent):
        raise AssistRefused(CHOOSE_CONSENT)
    if consent == Consent.SIGNED and not ticked:
        raise AssistRefused(NOT_TICKED)
    require_channel(session, code, consent)
    consultation = consultations.find(session, code)
    if row.mediateur_id is None or consultation is None:
        raise PortevoixError("no médiateur signed in, or no such consultation")
    account = _account(session, row.mediateur_id, lock=True)
    _check_cap(session, kiosk, account, consultation.id, cap)
    close(session, row)
    mandate = repository.add_mandate(
        session,
        KioskMandate(
            kiosk_id=kiosk.id,
            staff_id=account.id,
            consultation_id=consultation.id,
            consent=consent,
            started_at=utcnow(),
        ),
    )
    row.mandate_id = mandate.id
    _journal(session, "kiosk.mandate_opened", kiosk, account, mandate, consultation=code)
    return mandate


def _check_cap(
    session: Session, kiosk: Kiosk, account: StaffAccount, consultation_id: int, cap: int
) -> None:
    if repository.assisted_count(session, account.id, consultation_id) >= cap:
        _journal(session, "kiosk.assist_refused", kiosk, account, reason="cap", cap=cap)
        raise AssistRefused(CAPPED)


def require_channel(session: Session, code: str, consent: str) -> None:
    """A paper form is keyed in only for a consultation that offers the paper channel."""
    if consent != Consent.PAPER:
        return
    definition = consultations.definition_by_code(session, code)
    if definition is None or Channel.PAPER not in definition.channels:
        raise AssistRefused(NO_PAPER)


def channel(mandate: KioskMandate | None) -> Channel:
    """A paper form keyed in over the counter is a paper contribution."""
    return Channel.PAPER if mandate and mandate.consent == Consent.PAPER else Channel.KIOSK


def assisted_by(account: StaffAccount | None) -> str | None:
    return None if account is None else f"staff:{account.login}"


def before_send(session: Session, kiosk: Kiosk, mandate: KioskMandate, cap: int) -> StaffAccount:
    """Check the cap again as the contribution goes in (another kiosk may have used it)."""
    account = _account(session, mandate.staff_id, lock=True)
    _check_cap(session, kiosk, account, mandate.consultation_id, cap)
    return account


def used(session: Session, kiosk: Kiosk, mandate: KioskMandate, contribution_id: int) -> None:
    mandate.contribution_id = contribution_id
    account = _account(session, mandate.staff_id)
    _journal(session, "kiosk.mandate_used", kiosk, account, mandate, contribution=contribution_id)


def close(session: Session, row: KioskSession) -> None:
    """End the session's mandate: consent holds for this session only."""
    mandate = mandate_of(session, row)
    row.mandate_id = None
    if mandate is None or mandate.ended_at is not None:
        return
    mandate.ended_at = utcnow()
    audit.append(
        session,
        "kiosk.mandate_ended",
        "kiosk_mandate",
        mandate.id,
        {"kiosk": row.kiosk_id, "contribution": mandate.contribution_id},
        actor=f"kiosk:{row.kiosk_id}",
    )


def _journal(
    session: Session,
    action: str,
    kiosk: Kiosk,
    account: StaffAccount,
    mandate: KioskMandate | None = None,
    **payload: object,
) -> None:
    details = {"kiosk": kiosk.id, "staff_id": account.id, **payload}
    subject_type, subject_id = "kiosk", kiosk.id
    if mandate is not None:
        subject_type, subject_id = "kiosk_mandate", str(mandate.id)
        details["consent"] = mandate.consent
    audit.append(session, action, subject_type, subject_id, details, actor=f"staff:{account.login}")
