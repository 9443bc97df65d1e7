"""Recordings fetched from Twilio, and short spoken answers heard by the local engine."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import httpx

from gateway.consultations.schema import Question
from gateway.dialogue.reading import allowed_answers
from gateway.runtime import Runtime
from gateway.speech import SpeechUnavailable, Transcript
from gateway.speech.engines import engine_for, transcribe_recording
from gateway.speech.wav import BadAudio, check_audio

log = logging.getLogger(__name__)
FETCH_TIMEOUT_SECONDS = 30
# A spoken closed answer is fetched while the caller waits: Twilio gives up on a
# webhook after 15 seconds, and the answer is asked again rather than lost.
HEARING_TIMEOUT_SECONDS = 4
NOTHING_HEARD = Transcript("", 0.0)


def from_twilio(runtime: Runtime, url: str) -> bool:
    """Whether a recording address is on the Twilio API host of the settings."""
    wanted = urlsplit(runtime.settings.twilio_api_url)
    given = urlsplit(url)
    return (given.scheme, given.netloc) == (wanted.scheme, wanted.netloc)


def fetch(runtime: Runtime, url: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> bytes:
    """The recording as WAV, with the account's credentials (Twilio asks for them)."""
    settings = runtime.settings
    token = settings.twilio_auth_token
    auth = (settings.twilio_account_sid, token.get_secret_value()) if token else None
    target = url if url.endswith(".wav") else f"{url}.wav"
    response = httpx.get(target, auth=auth, timeout=timeout)
    response.raise_for_status()
    return response.content


def hear_answer(runtime: Runtime, url: str, question: Question, language: str) -> Transcript:
    """What the local engine heard in a short recorded answer; nothing on any fault."""
    if not from_twilio(runtime, url):
        return NOTHING_HEARD
    try:
        engine = engine_for(runtime.settings)
        if engine is None:
            return NOTHING_HEARD
        audio = fetch(runtime, url, HEARING_TIMEOUT_SECONDS)
        check_audio(audio)
        return transcribe_recording(engine, audio, language, allowed_answers(question, language))
    except (httpx.HTTPError, BadAudio, SpeechUnavailable) as error:
        log.warning("spoken answer not heard: %s", error)
        return NOTHING_HEARD
