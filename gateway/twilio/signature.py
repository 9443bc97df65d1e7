"""Twilio webhook signatures, checked in a dependency before anything is read or stored."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from starlette.datastructures import FormData
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from gateway.config import Settings
from gateway.deps import get_runtime
from gateway.runtime import Runtime

log = logging.getLogger(__name__)


def signed_url(settings: Settings, request: Request) -> str:
    """The URL Twilio signed: the public one, since a proxy may stand in front of us."""
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{settings.public_url.rstrip('/')}{request.url.path}{query}"


async def twilio_form(
    request: Request, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> FormData:
    """The form Twilio posted, once its X-Twilio-Signature is checked; 403 otherwise."""
    settings = runtime.settings
    form = await request.form()
    token = settings.twilio_auth_token
    if token is None:
        if settings.environment != "development":
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "SMS is not configured: set PORTEVOIX_TWILIO_AUTH_TOKEN",
            )
        log.warning("Twilio signature not checked: no token (development only)")
        return form
    signature = request.headers.get(SIGNATURE_HEADER, "")
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    validator = RequestValidator(token.get_secret_value())
    if not signature or not validator.validate(
        signed_url(settings, request), form, signature, algorithm
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid Twilio signature")
    return form
