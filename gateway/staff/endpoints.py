"""Staff pages: sign-in, sign-out, the staff home, the médiateur's kiosk PIN."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gateway.config import Settings
from gateway.consultations import repository as consultations
from gateway.deps import SessionDep, runtime_of
from gateway.http import ErrorOut
from gateway.i18n import N_
from gateway.staff import service
from gateway.staff.deps import (
    HOME_PATH,
    SIGN_IN_COOKIE,
    SIGN_IN_PATH,
    StaffForm,
    current_session,
    form_text,
    require_form,
    require_role,
    safe_next,
    session_cookie,
    sign_in_form,
    sign_in_token,
)
from gateway.staff.hashing import WeakSecret
from gateway.staff.models import StaffRole, StaffSession
from gateway.store.base import utcnow
from gateway.store.models import Channel
from gateway.web.pages import render, secure_cookies

router = APIRouter(prefix="/staff", tags=["staff"])
StaffPage = Annotated[StaffSession, Depends(require_role())]
PinPage = Annotated[StaffSession, Depends(require_role(StaffRole.MEDIATEUR))]
PinForm = Annotated[StaffForm, Depends(require_form(StaffRole.MEDIATEUR))]
SignOutForm = Annotated[StaffForm, Depends(require_form())]
SignInForm = Annotated[FormData, Depends(sign_in_form)]
ROLE_LABELS = {
    StaffRole.ADMIN: N_("administrator"),
    StaffRole.AGENT: N_("agent"),
    StaffRole.MEDIATEUR: N_("digital mediator"),
    StaffRole.OBSERVER: N_("observer"),
}


def _settings(request: Request) -> Settings:
    return runtime_of(request).settings


# Who scans paper forms (the paper pages' own rule); an admin may do anything.
PAPER_ROLES = {StaffRole.AGENT, StaffRole.ADMIN}


@router.get("/sign-in", include_in_schema=False)
def sign_in_page(request: Request, session: SessionDep, next: str = HOME_PATH) -> Response:
    if current_session(request, session) is not None:
        return RedirectResponse(safe_next(next), status.HTTP_303_SEE_OTHER)
    return _sign_in_page(request, safe_next(next))


def _sign_in_page(
    request: Request, next_path: str, login: str = "", status_code: int = 200
) -> HTMLResponse:
    settings = _settings(request)
    nonce = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)
    context = {
        "staff": None,
        "csrf_token": sign_in_token(settings, nonce),
        "next": next_path,
        "login": login,
        "failed": status_code != 200,
        "attempts": service.SIGN_IN_ATTEMPTS,
        "minutes": int(service.SIGN_IN_LOCK.total_seconds() // 60),
    }
    response = render(request, "gateway.staff:sign_in.html", context, status_code)
    response.set_cookie(SIGN_IN_COOKIE, nonce, path="/staff", **_cookie_flags(settings))
    return response


@router.post("/sign-in", include_in_schema=False)
def sign_in(request: Request, session: SessionDep, form: SignInForm) -> Response:
    settings = _settings(request)
    login, next_path = form_text(form, "login"), safe_next(form_text(form, "next"))
    policy = service.SessionPolicy.from_settings(settings)
    token = service.sign_in(session, login, form_text(form, "password"), policy)
    session.commit()
    if token is None:
        return _sign_in_page(request, next_path, login, status.HTTP_400_BAD_REQUEST)
    response = RedirectResponse(next_path, status.HTTP_303_SEE_OTHER)
    response.set_cookie(session_cookie(settings), token, path="/", **_cookie_flags(settings))
    response.delete_cookie(SIGN_IN_COOKIE, path="/staff", **_cookie_flags(settings))
    return response


@router.post("/sign-out", include_in_schema=False)
def sign_out(request: Request, session: SessionDep, form: SignOutForm) -> Response:
    settings = _settings(request)
    service.sign_out(session, form.staff)
    session.commit()
    response = RedirectResponse(SIGN_IN_PATH, status.HTTP_303_SEE_OTHER)
    response.delete_cookie(session_cookie(settings), path="/", **_cookie_flags(settings))
    return response


def _cookie_flags(settings: Settings) -> dict[str, Any]:
    return {"httponly": True, "samesite": "lax", "secure": secure_cookies(settings)}


@router.get("/", include_in_schema=False)
def home(request: Request, session: SessionDep, staff: StaffPage) -> HTMLResponse:
    listed = [
        (c.code, consultations.definition_of(c).title) for c in consultations.list_all(session)
    ]
    session.commit()  # keeps the session's last use
    can_set_pin = staff.account.role in service.PIN_ROLES
    enabled = runtime_of(request).settings.channels
    paper = staff.account.role in PAPER_ROLES and (enabled is None or Channel.PAPER in enabled)
    return _staff_page(
        request,
        staff,
        "gateway.staff:home.html",
        can_set_pin=can_set_pin,
        consultations=listed,
        paper=paper,
    )


@router.get("/pin", include_in_schema=False)
def pin_page(request: Request, session: SessionDep, staff: PinPage) -> HTMLResponse:
    session.commit()
    return _staff_page(request, staff, "gateway.staff:pin.html")


@router.post("/pin", include_in_schema=False)
def set_pin(request: Request, session: SessionDep, form: PinForm) -> HTMLResponse:
    account = form.staff.account
    if not service.confirm_password(session, account, form.text("password"), utcnow()):
        session.commit()
        return _pin_refused(request, form.staff, N_("The password is wrong."))
    if form.text("pin") != form.text("pin_again"):
        return _pin_refused(request, form.staff, N_("The two PINs are different."))
    try:
        service.set_pin(session, account, form.text("pin"))
    except WeakSecret as refused:
        return _pin_refused(request, form.staff, refused.message, **refused.values)
    session.commit()
    return _staff_page(request, form.staff, "gateway.staff:pin.html", saved=True)


def _pin_refused(
    request: Request, staff: StaffSession, error: str, **values: object
) -> HTMLResponse:
    return _staff_page(
        request,
        staff,
        "gateway.staff:pin.html",
        status.HTTP_400_BAD_REQUEST,
        error=error,
        error_values=values,
    )


def _staff_page(
    request: Request, staff: StaffSession, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    role_label = ROLE_LABELS[StaffRole(staff.account.role)]
    values = {"staff": staff, "role_label": role_label, **context}
    return render(request, template, values, status_code)


@router.get(
    "/api/me",
    responses={
        401: {"model": ErrorOut, "description": "No staff session: sign in first"},
        403: {"model": ErrorOut, "description": "The signed-in role may not use this"},
    },
)
def me(
    session: SessionDep, staff: Annotated[StaffSession, Depends(require_role(api=True))]
) -> dict[str, str]:
    """Who is signed in, for scripts and pages that call the staff API."""
    session.commit()
    return {"login": staff.account.login, "role": staff.account.role}
