"""Phone routes: Twilio Voice's incoming-call, step, call-status and recording-status webhooks.

Every route checks Twilio's signature before reading anything, and answers TwiML
built with the twilio package (the status callbacks answer 204).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from starlette.datastructures import FormData

from gateway.deps import RuntimeDep, SessionDep
from gateway.http import error_responses
from gateway.ivr import recordings
from gateway.ivr.service import Input, call_ended, identify, incoming_call, step
from gateway.text import UnsafeText, check_text
from gateway.twilio import twiml
from gateway.twilio.signature import twilio_form

router = APIRouter(prefix="/ivr", tags=["ivr"])
FormDep = Annotated[FormData, Depends(twilio_form)]
MAX_SID = 64
MAX_FROM = 64
MAX_URL = 512
# A spoken answer longer than this is no answer to a closed question (the reader's limit).
MAX_SPEECH = 320
# Keys a phone can send: digits, star and hash; a Gather never sends more than a few.
_DIGITS = re.compile(r"[0-9*#]{0,16}")
_NUMBER = re.compile(r"[0-9]{1,6}")
_DECIMAL = re.compile(r"[01](?:\.[0-9]{1,8})?")
_STATUS = re.compile(r"[a-z-]{1,16}")
WEBHOOK_ERRORS = error_responses(400, 403, 413, 503)
TWIML_REPLY: dict[int | str, dict[str, Any]] = {
    200: {"description": "TwiML: what the caller hears", "content": {twiml.MEDIA_TYPE: {}}}
}


@router.post("/twilio/voice", response_class=Response, responses={**TWIML_REPLY, **WEBHOOK_ERRORS})
def voice(form: FormDep, session: SessionDep, runtime: RuntimeDep) -> Response:
    call_sid = _required(form, "CallSid", MAX_SID)
    caller = identify(runtime, call_sid, _optional(form, "From", MAX_FROM))
    reply = incoming_call(session, runtime, call_sid, caller)
    session.commit()
    return Response(reply, media_type=twiml.MEDIA_TYPE)


@router.post("/twilio/step", response_class=Response, responses={**TWIML_REPLY, **WEBHOOK_ERRORS})
def call_step(
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
    n: Annotated[int, Query(ge=0, le=10_000)],
    after: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    call_sid = _required(form, "CallSid", MAX_SID)
    reply = step(session, runtime, call_sid, n, _input(form, after))
    session.commit()
    return Response(reply, media_type=twiml.MEDIA_TYPE)


def _input(form: FormData, after: str | None) -> Input:
    digits = _optional(form, "Digits", 16)
    if not _DIGITS.fullmatch(digits):
        digits = "?"  # Not a key a phone sends: read as an invalid key, asked again.
    return Input(
        digits=digits,
        recording_sid=_optional(form, "RecordingSid", MAX_SID) or None,
        recording_url=_optional(form, "RecordingUrl", MAX_URL) or None,
        recording_seconds=_number(form, "RecordingDuration"),
        after_transfer=after == "transfer",
        speech=_speech(form),
        speech_confidence=_confidence(form),
    )


def _speech(form: FormData) -> str | None:
    """What Twilio heard; too long or not plain text, it is heard as nothing clear."""
    value = form.get("SpeechResult")
    if not isinstance(value, str):
        return None
    try:
        return check_text(value, MAX_SPEECH)
    except UnsafeText:
        return ""


def _confidence(form: FormData) -> float:
    """Twilio's Confidence (0 to 1); anything else is no confidence at all."""
    value = form.get("Confidence")
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        return 0.0
    return min(float(value), 1.0)


@router.post(
    "/twilio/status",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=WEBHOOK_ERRORS,
)
def call_status(form: FormDep, session: SessionDep) -> Response:
    call_sid = _required(form, "CallSid", MAX_SID)
    state = _required(form, "CallStatus", 16)
    if _STATUS.fullmatch(state):
        call_ended(session, call_sid, state, _number(form, "CallDuration"))
        session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/twilio/recording-status",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=WEBHOOK_ERRORS,
)
def recording_status(form: FormDep, session: SessionDep) -> Response:
    recordings.status_changed(
        session,
        recording_sid=_required(form, "RecordingSid", MAX_SID),
        state=_required(form, "RecordingStatus", 16),
        url=_optional(form, "RecordingUrl", MAX_URL),
        seconds=_number(form, "RecordingDuration"),
    )
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _required(form: FormData, name: str, max_length: int) -> str:
    """A field Twilio always sends; 400 when it is missing, too long or not plain text."""
    value = _optional(form, name, max_length)
    if not value:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{name} is required")
    return value


def _optional(form: FormData, name: str, max_length: int) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    try:
        return check_text(value, max_length)
    except UnsafeText as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{name}: {error}") from None


def _number(form: FormData, name: str) -> int | None:
    value = form.get(name)
    return int(value) if isinstance(value, str) and _NUMBER.fullmatch(value) else None
