"""SMS channel routes: Twilio's inbound and status webhooks, and the dev simulator."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gateway.deps import get_runtime, get_session
from gateway.runtime import Runtime
from gateway.sms import repository as sms
from gateway.sms.service import InboundSms, handle_inbound
from gateway.twilio import twiml
from gateway.twilio.signature import twilio_form
from gateway.web.pages import render

router = APIRouter(prefix="/sms", tags=["sms"])
SessionDep = Annotated[Session, Depends(get_session)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
FormDep = Annotated[FormData, Depends(twilio_form)]


@router.post("/twilio/inbound")
def inbound(form: FormDep, session: SessionDep, runtime: RuntimeDep) -> Response:
    message = _message(form)
    reply = handle_inbound(session, runtime, message)
    session.commit()
    return Response(twiml.messages(reply.messages), media_type=twiml.MEDIA_TYPE)


def _message(form: FormData) -> InboundSms:
    sid, sender = form.get("MessageSid"), form.get("From")
    if not isinstance(sid, str) or not sid or not isinstance(sender, str) or not sender:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "MessageSid and From are required")
    body = form.get("Body")
    media = form.get("NumMedia")
    return InboundSms(
        message_sid=sid[:64],
        sender=sender,
        body=body if isinstance(body, str) else "",
        num_media=int(media) if isinstance(media, str) and media.isdigit() else 0,
    )


@router.post("/twilio/status", status_code=status.HTTP_204_NO_CONTENT)
def delivery_status(form: FormDep, session: SessionDep) -> Response:
    sid, state = form.get("MessageSid"), form.get("MessageStatus")
    if not isinstance(sid, str) or not sid or not isinstance(state, str) or not state:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "MessageSid and MessageStatus are required"
        )
    error = form.get("ErrorCode")
    sms.record_status(session, sid[:64], state, error if isinstance(error, str) and error else None)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class SimulatedSms(BaseModel):
    sender: str = Field("+33600000000", alias="from")
    body: str = Field("", max_length=1600)


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
    return {"replies": reply.messages, "outcome": reply.outcome}


def _development_only(runtime: Runtime) -> None:
    if runtime.settings.environment != "development":
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the simulator runs in development only")
