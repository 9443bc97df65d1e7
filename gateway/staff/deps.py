"""Guards for staff routes: who is signed in, with which role, and CSRF on every form.

Any page or API of another package protects itself with `require_role(...)` (or
`require_form(...)` for a POST from a form); an administrator passes every check.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gateway.config import Settings
from gateway.deps import SessionDep, runtime_of
from gateway.staff import service
from gateway.staff.models import StaffRole, StaffSession
from gateway.web.pages import secure_cookies

SIGN_IN_PATH = "/staff/sign-in"
HOME_PATH = "/staff/"
CSRF_FIELD = "csrf_token"
# Before sign-in there is no session to hold a CSRF token: a random value in this cookie,
# signed with the secret key into the form field, plays that part.
SIGN_IN_COOKIE = "pv_sign_in"
CSRF_REFUSED = "this form has expired or did not come from this site: reload the page"


def session_cookie(settings: Settings) -> str:
    """The session cookie's name; __Host- makes browsers refuse it from another subdomain."""
    return "__Host-pv_staff" if secure_cookies(settings) else "pv_staff"


def current_session(request: Request, session: Session) -> StaffSession | None:
    settings = runtime_of(request).settings
    token = request.cookies.get(session_cookie(settings))
    if not token:
        return None
    return service.signed_in(session, token, service.SessionPolicy.from_settings(settings))


def require_role(*roles: StaffRole, api: bool = False) -> Callable[..., StaffSession]:
    """A dependency: the signed-in staff session, if its role is one of `roles` (any if none)."""

    def guard(request: Request, session: SessionDep) -> StaffSession:
        signed = current_session(request, session)
        if signed is None:
            raise _sign_in_first(request, api)
        if roles and signed.account.role not in {*roles, StaffRole.ADMIN}:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "your role does not open this page")
        return signed

    return guard


def _sign_in_first(request: Request, api: bool) -> HTTPException:
    if api:
        return HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first")
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = back if request.method == "GET" else HOME_PATH
    location = f"{SIGN_IN_PATH}?{urlencode({'next': target})}"
    return HTTPException(status.HTTP_303_SEE_OTHER, "sign in first", {"Location": location})


def safe_next(value: str | None) -> str:
    """A path on this site to go back to after sign-in; anything else goes home."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return HOME_PATH
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return HOME_PATH
    return value


async def posted_form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(posted_form)]


@dataclass(frozen=True)
class StaffForm:
    staff: StaffSession
    fields: FormData

    def text(self, name: str) -> str:
        return form_text(self.fields, name)


def require_form(*roles: StaffRole) -> Callable[..., StaffForm]:
    """Like require_role, for a posted form whose CSRF token must match the session's."""
    guard = require_role(*roles)

    # A default, not Annotated: `guard` is local, so a string annotation could not name it.
    def checked(form: FormDep, signed: StaffSession = Depends(guard)) -> StaffForm:
        if not tokens_match(form.get(CSRF_FIELD), signed.csrf_token):
            raise HTTPException(status.HTTP_403_FORBIDDEN, CSRF_REFUSED)
        return StaffForm(signed, form)

    return checked


def sign_in_token(settings: Settings, nonce: str) -> str:
    message = b"staff-sign-in:" + nonce.encode()
    return hmac.new(settings.secret, message, hashlib.sha256).hexdigest()


def sign_in_form(request: Request, form: FormDep) -> FormData:
    """The sign-in form, once its token matches the signed value of the sign-in cookie."""
    nonce = request.cookies.get(SIGN_IN_COOKIE)
    expected = sign_in_token(runtime_of(request).settings, nonce) if nonce else None
    if expected is None or not tokens_match(form.get(CSRF_FIELD), expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, CSRF_REFUSED)
    return form


def tokens_match(sent: object, expected: str) -> bool:
    """Compare in constant time, so the response time does not leak the token."""
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), expected.encode())


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
