"""SMS channel routes: Twilio's inbound and status webhooks, and the dev simulator."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field
from starlette.datastructures import FormData

from gateway.deps import RuntimeDep, SessionDep, runtime_of
from gateway.http import error_responses, run_blocking, run_write
from gateway.runtime import Runtime
from gateway.sms import repository as sms
from gateway.sms.service import InboundSms, Reply, handle_inbound, keep_transcripts, read_body
from gateway.store.session import transaction, waiting_forbidden
from gateway.text import UnsafeText, check_text, checked
from gateway.twilio import twiml
from gateway.twilio.signature import twilio_form
from gateway.web.pages import render

router = APIRouter(prefix="/sms", tags=["sms"])
FormDep = Annotated[FormData, Depends(twilio_form)]
# Bounds on what Twilio sends: its sids are 34 characters, its statuses one short word,
# its error codes five digits, its senders a number or an 11-character name.
MAX_SID = 64
MAX_SENDER = 64
MAX_STATUS = 16
_ERROR_CODE = re.compile(r"[0-9]{1,16}")
_NUM_MEDIA = re.compile(r"[0-9]{1,3}")


WEBHOOK_ERRORS = error_responses(400, 403, 413, 503)


@router.post(
    "/twilio/inbound",
    response_class=Response,
    responses={
        200: {"description": "TwiML: the replies", "content": {twiml.MEDIA_TYPE: {}}},
        **WEBHOOK_ERRORS,
    },
)
async def inbound(request: Request) -> Response:
    # The dependencies called directly, not resolved by FastAPI: on the busiest route,
    # resolving them cost several percent of a message's CPU time.
    runtime = runtime_of(request)
    message = _message(await twilio_form(request, runtime))
    reply = await run_write(runtime.engine, _answer, runtime, message)
    if reply.transcripts:
        # Answered on the event loop: its files are written, and synced, in a thread.
        await run_blocking(keep_transcripts, runtime, reply)
    return Response(twiml.messages(reply.messages), media_type=twiml.MEDIA_TYPE)


def _answer(runtime: Runtime, message: InboundSms) -> Reply:
    """The reply, with the transcripts left to write (none when written already)."""
    with transaction(runtime.sessions) as session:
        reply = handle_inbound(session, runtime, message)
    if waiting_forbidden():
        return reply
    keep_transcripts(runtime, reply)
    return replace(reply, transcripts=())


def _message(form: FormData) -> InboundSms:
    body = form.get("Body")
    media = form.get("NumMedia")
    try:
        text = read_body(body if isinstance(body, str) else "")
    except UnsafeText as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"Body: {error}") from None
    return InboundSms(
        message_sid=_required(form, "MessageSid", MAX_SID),
        sender=_required(form, "From", MAX_SENDER),
        body=text,
        num_media=int(media) if isinstance(media, str) and _NUM_MEDIA.fullmatch(media) else 0,
    )


def _required(form: FormData, name: str, max_length: int) -> str:
    """A field Twilio always sends; 400 when it is missing, too long or not plain text."""
    value = form.get(name)
    if not isinstance(value, str) or not value:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{name} is required")
    try:
        return check_text(value, max_length)
    except UnsafeText as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{name}: {error}") from None


@router.post(
    "/twilio/status",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=WEBHOOK_ERRORS,
)
def delivery_status(form: FormDep, session: SessionDep) -> Response:
    sid = _required(form, "MessageSid", MAX_SID)
    state = _required(form, "MessageStatus", MAX_STATUS)
    sms.record_status(session, sid, state, _error_code(form.get("ErrorCode")))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _error_code(value: object) -> str | None:
    # Only a code Twilio could send is kept; the status itself still counts without it.
    return value if isinstance(value, str) and _ERROR_CODE.fullmatch(value) else None


class SimulatedSms(BaseModel):
    sender: Annotated[str, BeforeValidator(checked(MAX_SENDER))] = Field(
        "+33600000000", alias="from"
    )
    body: Annotated[str, AfterValidator(read_body)] = ""


@router.get("/simulator", response_class=HTMLResponse, include_in_schema=False)
def simulator_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    _development_only(runtime)
    return render(request, "gateway.sms:simulator.html")


@router.post("/simulator", include_in_schema=False)
def simulator_send(
    body: SimulatedSms, session: SessionDep, runtime: RuntimeDep
) -> dict[str, object]:
    """Chat as a resident through the real engine (development only, no signature)."""
    _development_only(runtime)
    message = InboundSms(f"SMsim{uuid.uuid4().hex}", body.sender, body.body)
    reply = handle_inbound(session, runtime, message)
    session.commit()
    keep_transcripts(runtime, reply)
    return {"replies": reply.messages, "outcome": reply.outcome}


def _development_only(runtime: Runtime) -> None:
    if runtime.settings.environment != "development":
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the simulator runs in development only")
