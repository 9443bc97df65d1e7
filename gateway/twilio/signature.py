"""Twilio webhook signatures, checked in a dependency before anything is read or stored."""

from __future__ import annotations

import hmac
import logging
from functools import lru_cache
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
    if not signature or not is_signed(
        token.get_secret_value(), signed_url(settings, request), form, signature, algorithm
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid Twilio signature")
    return form


def is_signed(token: str, url: str, form: FormData, signature: str, algorithm: str | None) -> bool:
    """Whether Twilio signed this form for this URL, as `RequestValidator.validate` decides.

    The URL as configured is tried first, alone: `validate` always computes two
    signatures (the URL with and without its port) and compares them in Python, a
    few percent of a whole message. Any other case goes to `validate` itself.
    """
    validator = _validator(token)
    if "bodySHA256" not in url:
        try:
            expected = validator.compute_signature(url, form, algorithm).encode()
        except ValueError:
            expected = b""  # an algorithm the library does not know: `validate` says so
        if expected and hmac.compare_digest(expected, signature.encode()):
            return True
    return bool(validator.validate(url, form, signature, algorithm))


@lru_cache(maxsize=4)
def _validator(token: str) -> RequestValidator:
    return RequestValidator(token)
