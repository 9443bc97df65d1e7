"""Staff pages of the paper channel (agent role): upload a batch, follow it, see each page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from gateway.deps import SessionDep, runtime_of
from gateway.errors import NotFound
from gateway.paper_ocr import repository as paper
from gateway.paper_ocr import service
from gateway.runtime import Runtime
from gateway.staff.deps import CSRF_FIELD, CSRF_REFUSED, StaffForm, require_form, require_role
from gateway.staff.deps import tokens_match as csrf_matches
from gateway.staff.models import StaffRole, StaffSession
from gateway.web.pages import render

router = APIRouter(prefix="/staff/paper", include_in_schema=False)
AgentPage = Annotated[StaffSession, Depends(require_role(StaffRole.AGENT))]
AgentForm = Annotated[StaffForm, Depends(require_form(StaffRole.AGENT))]
MAX_FILES = 500
PNG = "image/png"


@router.get("")
def batches(request: Request, session: SessionDep, staff: AgentPage) -> HTMLResponse:
    rows = [(b, paper.status_counts(session, b.id)) for b in paper.batches(session)]
    session.commit()
    return render(request, "gateway.paper_ocr:batches.html", {"staff": staff, "rows": rows})


@router.post("/upload")
async def upload(request: Request, session: SessionDep, staff: AgentPage) -> Response:
    """Take a batch of scans; the staff session is checked before the body is read."""
    form = await request.form(max_files=MAX_FILES, max_fields=10)
    if not csrf_matches(form.get(CSRF_FIELD), staff.csrf_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, CSRF_REFUSED)
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    name = str(form.get("batch") or "").strip() or f"upload-{staff.account.login}-{staff.id}"
    uploads = [service.Upload(f.filename or "scan", f.file) for f in files]
    collected = _collected(runtime_of(request), str(form.get("collected_on") or "").strip())
    # The staff check wrote the session's last use: committed first, since storing the
    # pages opens transactions of its own, one per page.
    await run_in_threadpool(session.commit)
    runtime = runtime_of(request)
    try:
        batch, _ = await run_in_threadpool(
            service.take_uploads, runtime, name, staff.account.login, uploads, collected
        )
    except service.BatchRefused as refused:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(refused)) from None
    return RedirectResponse(f"/staff/paper/batches/{batch.id}", status.HTTP_303_SEE_OTHER)


@router.get("/batches/{batch_id}")
def batch(request: Request, session: SessionDep, staff: AgentPage, batch_id: int) -> HTMLResponse:
    found = paper.batch(session, batch_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such batch")
    files = paper.files_of(session, batch_id)
    context: dict[str, Any] = {
        "staff": staff,
        "batch": found,
        "counts": paper.status_counts(session, batch_id),
        "files": files,
        "names": {f.id: f.name for f in files},
        "pages": paper.pages_of(session, batch_id),
    }
    session.commit()
    return render(request, "gateway.paper_ocr:batch.html", context)


@router.get("/pages/{page_id}")
def page(request: Request, session: SessionDep, staff: AgentPage, page_id: int) -> HTMLResponse:
    found = _page(session, page_id)
    session.commit()
    context = {"staff": staff, "page": found, "result": found.result or {}}
    return render(request, "gateway.paper_ocr:page.html", context)


@router.get("/pages/{page_id}/{picture}.png")
def picture(
    request: Request, session: SessionDep, staff: AgentPage, page_id: int, picture: str
) -> Response:
    """The page as scanned, or its overlay of markers, boxes and decisions."""
    found = _page(session, page_id)
    session.commit()
    sha256 = {"scan": found.image_sha256, "overlay": found.overlay_sha256}.get(picture)
    if sha256 is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such picture")
    try:
        data = runtime_of(request).evidence.read(sha256)
    except NotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "picture purged") from None
    return Response(data, media_type=PNG, headers={"Cache-Control": "private, no-store"})


@router.post("/pages/{page_id}/read-again")
def read_again(request: Request, session: SessionDep, form: AgentForm, page_id: int) -> Response:
    try:
        service.read_again(session, page_id)
    except service.ReadAgainRefused as refused:
        raise HTTPException(status.HTTP_409_CONFLICT, str(refused)) from None
    session.commit()
    return RedirectResponse(f"/staff/paper/pages/{page_id}", status.HTTP_303_SEE_OTHER)


def _collected(runtime: Runtime, text: str) -> datetime | None:
    """The collection time typed in the upload form; None (now) when left empty."""
    try:
        return service.collection_time(text, runtime.settings.paper_timezone) if text else None
    except service.BatchRefused as refused:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(refused)) from None


def _page(session: SessionDep, page_id: int) -> Any:
    found = paper.page(session, page_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such page")
    return found
