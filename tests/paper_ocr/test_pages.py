"""The staff pages of the paper channel: upload a batch, follow it, see and re-read a page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.jobs import run_job
from gateway.paper_ocr import repository as paper
from gateway.paper_ocr import service
from gateway.runtime import Runtime
from gateway.staff.models import StaffRole
from tests.conftest import Clock
from tests.paper_ocr.forms import make_ballot, make_layout, make_png
from tests.staff.conftest import csrf_token, make_account, sign_in

BANCS = {("projets", "bancs"): "cross"}


@pytest.fixture
def client(runtime: Runtime, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime), follow_redirects=False) as test_client:
        yield test_client


def _read_all(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        batch_ids = [b.id for b in paper.batches(session)]
    for batch_id in batch_ids:
        for job_id in service.pending_jobs(runtime, batch_id):
            run_job(runtime, job_id)


def _post(
    client: TestClient, files: list[Path], batch: str = "mairie", collected_on: str = ""
) -> httpx.Response:
    token = csrf_token(client.get("/staff/paper"))
    sent = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in files]
    form = {"csrf_token": token, "batch": batch, "collected_on": collected_on}
    return client.post("/staff/paper/upload", data=form, files=sent)


def _upload(client: TestClient, files: list[Path], batch: str = "mairie") -> str:
    response = _post(client, files, batch)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def test_an_agent_gives_when_the_paper_was_collected(
    client: TestClient, runtime: Runtime, tmp_path: Path, clock: Clock
) -> None:
    layout = make_layout(runtime, "BUDGET")
    ballot = make_png(tmp_path, make_ballot(runtime, layout, BANCS), "a.png")
    clock.now = datetime(2027, 2, 3, 9, 0, tzinfo=UTC)  # after the close, 31/1 at 20:00
    make_account(runtime, "agnes", StaffRole.AGENT)
    sign_in(client, "agnes")
    assert 'name="collected_on"' in client.get("/staff/paper").text

    future = _post(client, [ballot], "demain", "2027-02-04T08:00")
    on_time = _post(client, [ballot], "urne", "2027-01-31T19:45")
    _read_all(runtime)

    assert future.status_code == 400 and "future" in future.text
    assert on_time.status_code == 303
    shown = client.get(on_time.headers["location"]).text
    assert "Papier recueilli le 2027-01-31 18:45 (UTC)" in shown
    with runtime.sessions() as session:
        (batch,) = paper.batches(session)
        (page,) = paper.pages_of(session, batch.id)
        assert (batch.name, page.status, page.contribution_id is not None) == ("urne", "read", True)


def test_an_agent_uploads_a_batch_and_sees_each_page(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    layout = make_layout(runtime, "BUDGET")
    marked = make_png(
        tmp_path, make_ballot(runtime, layout, {("projets", "bancs"): "cross"}), "a.png"
    )
    overvoted = make_ballot(
        runtime, layout, {("projets", "bancs"): "cross", ("projets", "eclairage"): "cross"}
    )
    unclear = make_png(tmp_path, overvoted, "b.png")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 nothing more")
    make_account(runtime, "agnes", StaffRole.AGENT)
    sign_in(client, "agnes")

    batch_page = _upload(client, [marked, unclear, broken])
    _read_all(runtime)

    shown = client.get(batch_page)
    assert shown.status_code == 200
    assert "broken.pdf" in shown.text and "read" in shown.text
    with runtime.sessions() as session:
        first = paper.pages_of(session, paper.batches(session)[0].id)[0]
    page = client.get(f"/staff/paper/pages/{first.id}")
    assert "bancs" in page.text
    overlay = client.get(f"/staff/paper/pages/{first.id}/overlay.png")
    assert overlay.status_code == 200 and overlay.content.startswith(b"\x89PNG")


def test_a_page_not_yet_recorded_can_be_read_again(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    layout = make_layout(runtime, "BUDGET")
    hidden = make_ballot(runtime, layout, {("projets", "bancs"): "cross"})
    hidden[-300:, :300] = 255  # a corner marker under a thumb: to review, nothing recorded
    blank = make_ballot(runtime, layout, {})  # nothing marked: recorded, to review
    paths = [make_png(tmp_path, hidden, "hidden.png"), make_png(tmp_path, blank, "blank.png")]
    make_account(runtime, "agnes", StaffRole.AGENT)
    sign_in(client, "agnes")
    _upload(client, paths)
    _read_all(runtime)
    with runtime.sessions() as session:
        unplaced, recorded = paper.pages_of(session, paper.batches(session)[0].id)
    assert unplaced.status == "review" and unplaced.contribution_id is None
    assert recorded.status == "review" and recorded.contribution_id is not None

    token = csrf_token(client.get(f"/staff/paper/pages/{unplaced.id}"))
    again = client.post(f"/staff/paper/pages/{unplaced.id}/read-again", data={"csrf_token": token})
    refused = client.post(
        f"/staff/paper/pages/{recorded.id}/read-again", data={"csrf_token": token}
    )

    assert again.status_code == 303 and refused.status_code == 409
    with runtime.sessions() as session:
        assert paper.page(session, unplaced.id).status == "pending"  # type: ignore[union-attr]
    _read_all(runtime)
    with runtime.sessions() as session:
        assert paper.page(session, unplaced.id).status == "review"  # type: ignore[union-attr]


def test_other_roles_and_strangers_cannot_upload(client: TestClient, runtime: Runtime) -> None:
    response = client.post(
        "/staff/paper/upload", files=[("files", ("a.png", b"x" * 10, "image/png"))]
    )
    assert response.status_code == 303 and "sign-in" in response.headers["location"]
    make_account(runtime, "olga", StaffRole.OBSERVER)
    sign_in(client, "olga")
    assert client.get("/staff/paper").status_code == 403
