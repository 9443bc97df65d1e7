"""Phone housekeeping: what an unfinished call left behind does not outlive its resume window.

A caller who hung up mid-way may call back within `ivr_resume_hours` and carry on.
After that their partial answers are forgotten, and so are the recordings of that
call (audio and transcript), which no contribution will ever hold.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import audit
from gateway.ivr import repository as ivr
from gateway.ivr.models import IvrRecording, RecordingStatus
from gateway.runtime import Runtime
from gateway.store.base import utcnow
from gateway.store.models import Evidence


def forget_abandoned(runtime: Runtime) -> None:
    """Forget idle callers' partial answers and their unfinished calls' recordings."""
    cutoff = utcnow() - timedelta(hours=runtime.settings.ivr_resume_hours)
    with runtime.sessions() as session, session.begin():
        callers = ivr.forget_abandoned_callers(session, cutoff)
        recordings = ivr.abandoned_recordings(session, cutoff)
        for recording in recordings:
            _forget(session, runtime, recording)
        ivr.delete_steps_before(session, cutoff)
        if callers or recordings:
            counts = {"callers": callers, "recordings": len(recordings)}
            audit.append(session, "ivr.abandoned_forgotten", "ivr", "batch", counts)


def _forget(session: Session, runtime: Runtime, recording: IvrRecording) -> None:
    for sha256 in (recording.audio_sha256, recording.transcript_sha256):
        # A blob some contribution also holds as evidence stays, under its own retention.
        if sha256 and session.scalar(select(Evidence.id).where(Evidence.sha256 == sha256)) is None:
            runtime.evidence.delete(sha256)
    recording.status = RecordingStatus.FORGOTTEN
    recording.url = ""
    recording.text = recording.confidence = None
    recording.audio_sha256 = recording.transcript_sha256 = None
    recording.error = None
