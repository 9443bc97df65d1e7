"""The results pages: public once published, staff-only before."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse

from gateway.deps import SessionDep, runtime_of
from gateway.errors import NotFound
from gateway.results.export import contribution_schema
from gateway.results.page import page_context
from gateway.results.tally import Tally, tally
from gateway.staff.deps import require_role
from gateway.staff.models import StaffSession
from gateway.web.pages import page_language, render

router = APIRouter(tags=["results"])


@router.get("/results/{code}", include_in_schema=False)
def results_page(code: str, request: Request, session: SessionDep) -> HTMLResponse:
    result = _tally(request, session, code)
    staff = None if result.published else _staff_only(request, session)
    session.commit()  # keeps a staff session's last use
    context: dict[str, Any] = {"staff": staff, **page_context(result)}
    return render(request, "gateway.results:results.html", context)


def _tally(request: Request, session: SessionDep, code: str) -> Tally:
    threshold = runtime_of(request).settings.review_confidence_threshold
    try:
        return tally(session, code, page_language(request), threshold)
    except NotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such consultation") from None


def _staff_only(request: Request, session: SessionDep) -> StaffSession:
    """Before publication only staff see results; others are sent to sign in."""
    return require_role()(request, session)


@router.get("/schema/contribution.json")
def schema_of_a_contribution() -> JSONResponse:
    """The open JSON Schema of one contribution in the exports."""
    return JSONResponse(contribution_schema(), media_type="application/schema+json")
