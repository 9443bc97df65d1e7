"""After the resume window, an unfinished call's partial answers and recordings are forgotten."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.app import create_app
from gateway.ivr.models import IvrCaller, IvrRecording, IvrStep, RecordingStatus
from gateway.ivr.recordings import status_changed
from gateway.ivr.tasks import forget_abandoned
from gateway.runtime import Runtime
from gateway.twilio.standin import TwilioStandIn
from tests.conftest import Clock
from tests.ivr.caller import Call
from tests.ivr.test_calls import PARC, _start
from tests.ivr.test_line import RECORDING, _leave_an_idea, _run_pending, make_wav

HALF_DONE = "+33611111111"


def _hang_up_after_a_recording(runtime: Runtime, twilio: TwilioStandIn) -> None:
    """Answer up to the idea, leave it aloud, then hang up before the last questions."""
    twilio.recordings[RECORDING] = make_wav()
    with TestClient(create_app(runtime=runtime)) as client:
        call = Call(client, number=HALF_DONE)
        _start(call, PARC)
        for keys in ("1", "3", "4", "2", "1"):
            call.press(keys)
        call.record(RECORDING)
        call.hang_up()
    with runtime.sessions() as session, session.begin():
        status_changed(session, RECORDING, "completed", twilio.recording_url(RECORDING), 7)
    _run_pending(runtime)


def _state(runtime: Runtime) -> tuple[IvrCaller, IvrRecording, int]:
    with runtime.sessions() as session:
        caller = session.scalars(select(IvrCaller).where(IvrCaller.token.is_not(None))).first()
        caller = caller or session.scalars(select(IvrCaller)).one()
        steps = len(session.scalars(select(IvrStep)).all())
        return caller, session.scalars(select(IvrRecording)).one(), steps


def test_an_unfinished_call_is_forgotten_after_the_resume_window(
    recording_runtime: Runtime, twilio: TwilioStandIn, clock: Clock
) -> None:
    _hang_up_after_a_recording(recording_runtime, twilio)
    caller, recording, steps = _state(recording_runtime)
    assert caller.token and recording.status == RecordingStatus.KEPT and steps
    audio = recording_runtime.evidence.path(recording.audio_sha256 or "")
    forget_abandoned(recording_runtime)  # within the window: nothing moves
    assert _state(recording_runtime)[1].status == RecordingStatus.KEPT and audio.exists()
    clock.advance(hours=49)
    forget_abandoned(recording_runtime)
    caller, recording, steps = _state(recording_runtime)
    assert (caller.token, caller.dialogue, caller.line) == (None, {}, {})
    assert recording.status == RecordingStatus.FORGOTTEN and not audio.exists()
    assert (recording.audio_sha256, recording.url, steps) == (None, "", 0)
    with TestClient(create_app(runtime=recording_runtime)) as client:
        again = Call(client, number=HALF_DONE).dial()
    assert "reprenons" not in again.text.lower()  # a fresh start, nothing carried over


def test_a_finished_call_keeps_its_recording(
    recording_runtime: Runtime, twilio: TwilioStandIn, clock: Clock
) -> None:
    twilio.recordings[RECORDING] = make_wav()
    _leave_an_idea(recording_runtime, twilio)
    _run_pending(recording_runtime)
    clock.advance(hours=49)
    forget_abandoned(recording_runtime)
    with recording_runtime.sessions() as session:
        recording = session.scalars(select(IvrRecording)).one()
    assert recording.status == RecordingStatus.KEPT and recording.contribution_id is not None
    assert recording_runtime.evidence.path(recording.audio_sha256 or "").exists()
