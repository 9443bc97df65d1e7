"""Spoken free-text answers: Twilio's recording-status callback and the `ivr.transcribe` job.

The job fetches the recording from Twilio (the local stand-in in tests), checks it is
audio with sound in it, stores it as evidence and, when an engine is configured,
stores a transcript beside it. Nothing it finds becomes an answer: the answer waits,
empty and uncertain, for a person who listens (and reads the transcript) in review.
A fetch that fails is tried again later with a growing delay; it is never dropped.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import httpx
from sqlalchemy.orm import Session

from gateway import jobs
from gateway.ivr import repository as ivr
from gateway.ivr.fetching import fetch, from_twilio
from gateway.ivr.models import IvrRecording, RecordingStatus
from gateway.ivr.service import link_recording
from gateway.runtime import Runtime
from gateway.speech import SpeechUnavailable
from gateway.speech.engines import engine_for, transcribe_recording
from gateway.speech.wav import BadAudio, check_audio
from gateway.store.base import utcnow

log = logging.getLogger(__name__)
AUDIO_MEDIA_TYPE = "audio/wav"
TRANSCRIPT_MEDIA_TYPE = "application/json"
# Spoken free-text answers are taken in French, the line's first language.
TRANSCRIPT_LANGUAGE = "fr"
# Waits between fetch attempts: 1, 2, 4 … minutes, at most an hour; never given up.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)


def status_changed(
    session: Session, recording_sid: str, state: str, url: str, seconds: int | None
) -> None:
    """Twilio says a recording is ready (or lost): queue its fetch, once."""
    recording = ivr.recording(session, recording_sid)
    if recording is None or recording.status != RecordingStatus.RECORDED:
        return  # Unknown to the line, or already handled: a retried callback.
    if state != "completed":
        recording.status = RecordingStatus.FAILED
        recording.error = f"Twilio recording status {state!r}"
        session.flush()
        return
    recording.url = url or recording.url
    recording.duration_seconds = seconds or recording.duration_seconds
    recording.status = RecordingStatus.PENDING
    jobs.enqueue(session, "ivr.transcribe", recording_id=recording.id)


def transcribe(runtime: Runtime, recording_id: int) -> None:
    """Fetch one recording, keep it as evidence, transcribe it when an engine is set."""
    with runtime.sessions() as session, session.begin():
        recording = ivr.recording_by_id(session, recording_id)
        if recording is None or recording.status != RecordingStatus.PENDING:
            return
        if not from_twilio(runtime, recording.url):
            # The account's credentials go only to the Twilio API this gateway talks to.
            recording.status = RecordingStatus.FAILED
            recording.error = "recording address is not on the configured Twilio API host"
            return
        try:
            audio = fetch(runtime, recording.url)
        except httpx.HTTPError as error:
            _retry_later(recording, str(error))
            return
        _keep(session, runtime, recording, audio)


def retry_due(runtime: Runtime) -> None:
    """Queue again the fetches whose back-off has passed (a periodic job)."""
    with runtime.sessions() as session, session.begin():
        for recording_id in ivr.recordings_due(session, utcnow()):
            jobs.enqueue(session, "ivr.transcribe", recording_id=recording_id)


def _retry_later(recording: IvrRecording, error: str) -> None:
    recording.attempts += 1
    delay = min(FIRST_RETRY * 2 ** (recording.attempts - 1), LONGEST_RETRY)
    recording.next_attempt_at = utcnow() + delay
    recording.error = f"fetch failed (attempt {recording.attempts}): {error}"[:500]
    log.warning("recording %s: %s", recording.recording_sid, recording.error)


def _keep(session: Session, runtime: Runtime, recording: IvrRecording, audio: bytes) -> None:
    blob = runtime.evidence.put(audio, AUDIO_MEDIA_TYPE)
    recording.audio_sha256 = blob.sha256
    recording.attempts += 1
    try:
        check_audio(audio)
    except BadAudio as error:
        recording.status = RecordingStatus.FAILED
        recording.error = str(error)
    else:
        recording.status = RecordingStatus.KEPT
        recording.error = None
        _transcribe(runtime, recording, audio)
    link_recording(session, runtime, recording)
    session.flush()


def _transcribe(runtime: Runtime, recording: IvrRecording, audio: bytes) -> None:
    """Keep what the engine heard beside the audio; the answer still waits for a person."""
    try:
        engine = engine_for(runtime.settings)
        if engine is None:
            return
        transcript = transcribe_recording(engine, audio, TRANSCRIPT_LANGUAGE)
    except (SpeechUnavailable, BadAudio) as error:
        recording.error = f"not transcribed: {error}"[:500]
        log.warning("recording %s: %s", recording.recording_sid, recording.error)
        return
    document = json.dumps(transcript.as_json(), ensure_ascii=False).encode()
    recording.transcript_sha256 = runtime.evidence.put(document, TRANSCRIPT_MEDIA_TYPE).sha256
    recording.text, recording.confidence = transcript.text, transcript.confidence
