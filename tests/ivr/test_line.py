"""The line around the questions: opt-out shared with SMS, the médiateur, recordings."""

from __future__ import annotations

import io
import math
import struct
import wave
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway import contacts
from gateway.app import create_app
from gateway.identity import participant_key
from gateway.ivr.models import IvrRecording, RecordingStatus
from gateway.jobs import run_job
from gateway.runtime import Runtime
from gateway.sms.outbound import queue_invitations
from gateway.store.models import ContributionEvidence, ContributionStatus, Job, JobStatus
from gateway.twilio.standin import TwilioStandIn
from tests.ivr.caller import RECORDING_STATUS, Call
from tests.sms.conftest import SECRET, Clock, make_sms_runtime
from tests.sms.twilio import post_signed, recorded

TUESDAY_10H = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Paris
TUESDAY_20H = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)


def test_the_opt_out_key_stops_sms_invitations_too(line: TestClient, line_runtime: Runtime) -> None:
    call = Call(line, number="+33612345678")
    call.dial()
    noted = call.press("9")
    assert "la mairie ne vous appellera plus et ne vous enverra plus de SMS" in noted.text
    with line_runtime.sessions() as session, session.begin():
        phone_hash = participant_key("phone", "+33612345678", SECRET.encode())
        assert contacts.is_opted_out(session, phone_hash)
        report = queue_invitations(
            session, line_runtime.settings, "PARC", ["0612345678", "0700000002"]
        )
    assert (report.queued, report.opted_out) == (1, 1)


@pytest.fixture
def mediator_line(tmp_path: Path, sqlite_url: str, clock: Clock) -> Iterator[TestClient]:
    runtime = make_sms_runtime(tmp_path, sqlite_url, ivr_mediator_number="+33100000000")
    with TestClient(create_app(runtime=runtime)) as client:
        yield client
    runtime.close()


def test_zero_puts_the_caller_through_in_opening_hours(
    mediator_line: TestClient, clock: Clock
) -> None:
    clock.now = TUESDAY_10H
    call = Call(mediator_line)
    call.dial()
    call.press("")
    intro = call.press("2")
    assert "Tapez 0 pour parler à une personne." in intro.text
    through = call.press("0")
    assert through.dialled == "+33100000000" and "Restez en ligne" in through.text
    back = call.follow()
    assert back.text.startswith("Question 1 sur 7")  # the question again, nothing counted


def test_zero_outside_opening_hours_says_when_someone_answers(
    mediator_line: TestClient, clock: Clock
) -> None:
    clock.now = TUESDAY_20H
    call = Call(mediator_line)
    call.dial()
    call.press("")
    call.press("2")
    closed = call.press("0")
    assert closed.dialled is None
    assert "Une personne répond en semaine de 09:00 à 17:00." in closed.text
    assert "Question 1 sur 7" in closed.text


# Recordings.


def make_wav(seconds: float = 1.0, rate: int = 8000, silent: bool = False) -> bytes:
    samples = [
        0 if silent else int(8000 * math.sin(2 * math.pi * 440 * i / rate))
        for i in range(int(seconds * rate))
    ]
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return out.getvalue()


RECORDING = "RE" + "a" * 32


def _leave_an_idea(runtime: Runtime, twilio: TwilioStandIn, url: str | None = None) -> None:
    with TestClient(create_app(runtime=runtime)) as client:
        call = Call(client)
        call.dial()
        call.press("")
        call.press("2")
        for keys in ("1", "3", "4", "2", "1"):
            call.press(keys)
        form = recorded("voice-record.form", CallSid=call.sid, RecordingSid=RECORDING,
                        RecordingUrl=url or twilio.recording_url(RECORDING))  # fmt: skip
        assert call.last is not None and call.last.record_action
        call.last = call.record(RECORDING)
        call.press("#")
        assert call.press("#").hung_up
        status = recorded("recording-status-completed.form", CallSid=call.sid,
                          RecordingSid=RECORDING, RecordingUrl=form["RecordingUrl"])  # fmt: skip
        assert post_signed(client, RECORDING_STATUS, status).status_code == 204
        assert post_signed(client, RECORDING_STATUS, status).status_code == 204  # a retry


def _run_pending(runtime: Runtime) -> list[JobStatus | None]:
    with runtime.sessions() as session:
        ids = list(session.scalars(select(Job.id).where(Job.status == JobStatus.PENDING)))
    return [run_job(runtime, job_id) for job_id in ids]


def _recording(runtime: Runtime) -> IvrRecording:
    with runtime.sessions() as session:
        return session.scalars(select(IvrRecording)).one()


def _evidence_roles(runtime: Runtime, contribution_id: int) -> set[str]:
    with runtime.sessions() as session:
        rows = session.scalars(
            select(ContributionEvidence.role).where(
                ContributionEvidence.contribution_id == contribution_id
            )
        )
        return set(rows)


def test_a_recording_is_fetched_kept_as_evidence_and_left_for_review(
    recording_runtime: Runtime, twilio: TwilioStandIn
) -> None:
    twilio.recordings[RECORDING] = make_wav()
    _leave_an_idea(recording_runtime, twilio)
    assert _run_pending(recording_runtime) == [JobStatus.DONE]  # one job for two callbacks
    recording = _recording(recording_runtime)
    assert recording.status == RecordingStatus.KEPT and recording.linked
    assert recording.contribution_id is not None
    assert _evidence_roles(recording_runtime, recording.contribution_id) == {
        "ivr_keys",
        "recording",
    }
    audio = recording_runtime.evidence.read(recording.audio_sha256 or "")
    assert audio == twilio.recordings[RECORDING]


def test_a_failed_download_is_tried_again_and_never_lost(
    recording_runtime: Runtime, twilio: TwilioStandIn
) -> None:
    twilio.recordings[RECORDING] = make_wav()
    twilio.failing_downloads = 2
    _leave_an_idea(recording_runtime, twilio)
    _run_pending(recording_runtime)
    first = _recording(recording_runtime)
    assert (first.status, first.attempts) == (RecordingStatus.PENDING, 1)
    assert first.next_attempt_at is not None and "503" in (first.error or "")
    from gateway.ivr.recordings import transcribe

    transcribe(recording_runtime, first.id)
    transcribe(recording_runtime, first.id)
    kept = _recording(recording_runtime)
    assert (kept.status, kept.attempts, kept.linked) == (RecordingStatus.KEPT, 3, True)


@pytest.mark.parametrize("audio", [b"", b"RIFF not really a wave", make_wav(silent=True)])
def test_corrupt_or_empty_audio_is_a_clear_failure_for_a_person(
    recording_runtime: Runtime, twilio: TwilioStandIn, audio: bytes
) -> None:
    twilio.recordings[RECORDING] = audio
    _leave_an_idea(recording_runtime, twilio)
    _run_pending(recording_runtime)
    recording = _recording(recording_runtime)
    assert recording.status == RecordingStatus.FAILED
    assert recording.error and ("WAV" in recording.error or "empty" in recording.error)
    with recording_runtime.sessions() as session:
        from gateway.store.models import Contribution

        contribution = session.get_one(Contribution, recording.contribution_id)
        assert contribution.status == ContributionStatus.REVIEW


def test_a_language_menu_when_several_are_enabled_and_a_slower_voice(
    tmp_path: Path, sqlite_url: str, clock: Clock
) -> None:
    runtime = make_sms_runtime(
        tmp_path, sqlite_url, ivr_languages=["fr", "en"], ivr_speech_rate="85%"
    )
    with TestClient(create_app(runtime=runtime)) as client:
        call = Call(client)
        menu = call.dial()
        assert "Pour le français, tapez 1. For English, press 2." in menu.text
        assert '<prosody rate="85%">' in menu.twiml
        english = call.press("2")
        assert "For The new Parc des Tilleuls, press 2." in english.text
        assert 'language="en-GB"' in english.twiml
    runtime.close()


def test_a_recording_elsewhere_than_the_twilio_api_is_never_fetched(
    recording_runtime: Runtime, twilio: TwilioStandIn
) -> None:
    # The account's credentials would go with the request: only to the configured API host.
    _leave_an_idea(recording_runtime, twilio, url="http://127.0.0.9:9/Recordings/" + RECORDING)
    assert _run_pending(recording_runtime) == [JobStatus.DONE]
    recording = _recording(recording_runtime)
    assert recording.status == RecordingStatus.FAILED and recording.audio_sha256 is None
    assert "not on the configured Twilio API host" in (recording.error or "")
