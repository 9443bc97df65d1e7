"""Phone queries: callers, calls, their steps and status events, recordings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from gateway.ivr.models import (
    IvrCall,
    IvrCaller,
    IvrCallEvent,
    IvrRecording,
    IvrStep,
    RecordingStatus,
)
from gateway.store.base import utcnow
from gateway.store.session import insert_or_ignore, insert_or_ignore_row


def caller_for_update(session: Session, caller_key: str) -> IvrCaller:
    """The caller's row, created if new, locked against a concurrent webhook of theirs."""
    found = _locked_caller(session, caller_key)
    if found is not None:
        return found
    now = utcnow()
    insert_or_ignore(
        session, IvrCaller, caller_key=caller_key, dialogue={}, line={},
        created_at=now, updated_at=now,
    )  # fmt: skip
    created = _locked_caller(session, caller_key)
    assert created is not None, "the caller row was just inserted"
    return created


def _locked_caller(session: Session, caller_key: str) -> IvrCaller | None:
    return session.scalar(
        select(IvrCaller).where(IvrCaller.caller_key == caller_key).with_for_update()
    )


def open_call(session: Session, call_sid: str, caller_key: str, withheld: bool) -> IvrCall:
    """The call's row: created on its first webhook, the same one on a retry."""
    now = utcnow()
    insert_or_ignore(
        session, IvrCall, call_sid=call_sid, caller_key=caller_key, withheld=withheld,
        seq=0, status="in-progress", transcript=[], created_at=now, updated_at=now,
    )  # fmt: skip
    return call_for_update(session, call_sid)


def call_for_update(session: Session, call_sid: str) -> IvrCall:
    return session.scalars(
        select(IvrCall).where(IvrCall.call_sid == call_sid).with_for_update()
    ).one()


def find_call(session: Session, call_sid: str) -> IvrCall | None:
    return session.scalar(select(IvrCall).where(IvrCall.call_sid == call_sid))


def claim_step(session: Session, call_sid: str, seq: int) -> IvrStep | None:
    """Log step `seq` of a call; None when it was already answered (a retry)."""
    return insert_or_ignore_row(session, IvrStep, call_sid=call_sid, seq=seq, twiml="")


def save_step_reply(session: Session, call_sid: str, seq: int, twiml: str) -> None:
    session.execute(
        update(IvrStep).where(IvrStep.call_sid == call_sid, IvrStep.seq == seq).values(twiml=twiml)
    )


def step_reply(session: Session, call_sid: str, seq: int) -> str | None:
    return session.scalar(
        select(IvrStep.twiml).where(IvrStep.call_sid == call_sid, IvrStep.seq == seq)
    )


def record_call_event(session: Session, call_sid: str, status: str) -> bool:
    """Store a call-status callback once; False for a repeat."""
    new_id = insert_or_ignore(
        session, IvrCallEvent, call_sid=call_sid, status=status, received_at=utcnow()
    )
    return new_id is not None


def add_recording(session: Session, **values: object) -> IvrRecording | None:
    """A recording the caller left, once per RecordingSid; None when already known."""
    now = utcnow()
    return insert_or_ignore_row(
        session, IvrRecording, status=RecordingStatus.RECORDED, attempts=0, linked=False,
        created_at=now, updated_at=now, **values,
    )  # fmt: skip


def recording(session: Session, recording_sid: str) -> IvrRecording | None:
    return session.scalar(
        select(IvrRecording).where(IvrRecording.recording_sid == recording_sid).with_for_update()
    )


def recording_by_id(session: Session, recording_id: int) -> IvrRecording | None:
    return session.get(IvrRecording, recording_id, with_for_update=True)


def recordings_of(session: Session, caller_key: str, code: str) -> list[IvrRecording]:
    """The recordings of one caller's current consultation not yet tied to a contribution."""
    return list(
        session.scalars(
            select(IvrRecording).where(
                IvrRecording.caller_key == caller_key,
                IvrRecording.consultation_code == code,
                IvrRecording.contribution_id.is_(None),
            )
        )
    )


def recordings_due(session: Session, now: datetime) -> list[int]:
    """Recordings waiting for a fetch whose back-off has passed."""
    return list(
        session.scalars(
            select(IvrRecording.id).where(
                IvrRecording.status == RecordingStatus.PENDING,
                or_(IvrRecording.next_attempt_at.is_(None), IvrRecording.next_attempt_at <= now),
            )
        )
    )


def forget_abandoned_callers(session: Session, idle_before: datetime) -> int:
    """Forget where idle callers stood (their partial answers); withheld callers entirely."""
    idle = IvrCaller.last_call_at < idle_before
    session.execute(delete(IvrCaller).where(idle, IvrCaller.caller_key.startswith("call:")))
    done = session.execute(
        update(IvrCaller)
        .where(idle, IvrCaller.token.is_not(None))
        .values(dialogue={}, line={}, token=None)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def abandoned_recordings(session: Session, idle_before: datetime) -> list[IvrRecording]:
    """Recordings of calls never finished, whose caller can no longer resume."""
    resumable = select(IvrCaller.caller_key).where(
        IvrCaller.last_call_at >= idle_before, IvrCaller.token.is_not(None)
    )
    return list(
        session.scalars(
            select(IvrRecording)
            .where(
                IvrRecording.contribution_id.is_(None),
                IvrRecording.created_at < idle_before,
                IvrRecording.status != RecordingStatus.FORGOTTEN,
                IvrRecording.caller_key.not_in(resumable),
            )
            .with_for_update()
        )
    )


def delete_steps_before(session: Session, before: datetime) -> None:
    """The TwiML replies kept for Twilio's retries (they read back a caller's choices)."""
    session.execute(delete(IvrStep).where(IvrStep.received_at < before))
