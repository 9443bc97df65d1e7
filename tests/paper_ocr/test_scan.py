"""Printed forms, marked, scanned and read into the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from gateway.channels import build_runtime
from gateway.consultations import repository as consultations
from gateway.consultations.schema import Definition
from gateway.paper_ocr import codes, deck, marks, service
from gateway.paper_ocr.layout import Layout
from gateway.paper_ocr.models import PaperPage
from gateway.retention import purge_expired_evidence
from gateway.runtime import Runtime
from gateway.store.base import as_utc
from gateway.store.models import (
    Answer,
    AnswerStatus,
    AuditEvent,
    Contribution,
    ContributionEvidence,
    ContributionStatus,
)
from gateway.store.session import transaction
from tests.conftest import Clock
from tests.paper_ocr.forms import (
    key_of,
    make_ballot,
    make_layout,
    make_marks,
    make_pages,
    make_pdf,
    make_png,
    scan,
)

pytestmark = pytest.mark.usefixtures("clock")
DPI = 200
BANCS = {("projets", "bancs"): "cross"}


def _contributions(runtime: Runtime) -> list[Contribution]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Contribution).order_by(Contribution.id)))


def _answers(runtime: Runtime, contribution_id: int) -> dict[str, Answer]:
    with runtime.sessions() as session:
        rows = session.scalars(select(Answer).where(Answer.contribution_id == contribution_id))
        return {a.question_id: a for a in rows}


def test_marked_ballots_in_every_format_are_counted(runtime: Runtime, tmp_path: Path) -> None:
    layout = make_layout(runtime, "BUDGET")
    pages = make_pages(make_pdf(layout, key_of(runtime), copies=3), DPI)
    first = make_marks(
        pages[0], DPI, layout, {("projets", "bancs"): "cross", ("projets", "eclairage"): "tick"}
    )
    # A box filled in black is a cancelled mark: not counted.
    second = make_marks(
        pages[1],
        DPI,
        layout,
        {("projets", "jardin-partage"): "cross", ("projets", "toilettes"): "fill"},
    )
    third = make_marks(pages[2], DPI, layout, {("projets", "fontaines"): "faint"})
    png = make_png(tmp_path, deck.rotate(first, 180), "upside-down.png")
    jpeg = tmp_path / "skewed.jpg"
    cv2.imwrite(str(jpeg), deck.rotate(second, -4, 1.02), [cv2.IMWRITE_JPEG_QUALITY, 60])
    pdf = tmp_path / "scanner.pdf"
    Image.fromarray(deck.perspective(third, np.random.default_rng(2))).save(pdf, resolution=DPI)

    lines = scan(runtime, [png, jpeg, pdf])

    assert [line["status"] for line in lines] == ["read", "read", "read"]
    assert lines[1]["answers"]["projets"] == {
        "value": ["jardin-partage"],
        "confidence": 1.0,
        "status": "counted",
        "reason": None,
    }
    decisions = {b["option_key"]: b["decision"] for b in lines[1]["boxes"]}
    assert decisions["toilettes"] == "cancelled" and decisions["jardin-partage"] == "marked"
    assert all(set(b["scores"]) >= {"fill", "solid"} for b in lines[1]["boxes"])
    contributions = _contributions(runtime)
    assert [c.status for c in contributions] == [ContributionStatus.COUNTED] * 3
    values = [_answers(runtime, c.id)["projets"].value for c in contributions]
    assert values == [["bancs", "eclairage"], ["jardin-partage"], ["fontaines"]]


def test_each_page_is_kept_as_evidence_with_its_overlay(runtime: Runtime, tmp_path: Path) -> None:
    layout = make_layout(runtime, "BUDGET")
    page = make_ballot(runtime, layout, BANCS)
    scan(runtime, [make_png(tmp_path, page, "p.png")])

    with runtime.sessions() as session:
        stored = session.scalars(select(PaperPage)).one()
        roles = set(session.scalars(select(ContributionEvidence.role)))
    assert roles == {"scan", "overlay"}
    assert stored.batch_id is not None and len(stored.image_sha256) == 64
    assert runtime.evidence.path(stored.image_sha256).exists()
    assert stored.overlay_sha256 and runtime.evidence.path(stored.overlay_sha256).exists()


def test_overvote_blank_and_unclear_marks_go_to_review(runtime: Runtime, tmp_path: Path) -> None:
    layout = make_layout(runtime, "PARC")
    pages = make_pages(make_pdf(layout, key_of(runtime)), DPI)
    make_marks(pages[0], DPI, layout, {
        ("frequentation", "yes"): "cross",
        ("priorite", "arbres"): "cross", ("priorite", "jeux"): "tick",  # an overvote
        # satisfaction: nothing marked, and it is required
    })  # fmt: skip
    paths = [make_png(tmp_path, page, f"parc-{i}.png") for i, page in enumerate(pages)]

    lines = scan(runtime, paths)

    assert lines[0]["status"] == "review"
    answers = lines[0]["answers"]
    assert answers["frequentation"]["status"] == "counted"
    assert answers["priorite"]["status"] == "review" and "overvote" in answers["priorite"]["reason"]
    assert answers["satisfaction"]["reason"] == "nothing marked"
    (contribution,) = _contributions(runtime)
    assert contribution.status == ContributionStatus.REVIEW
    stored = _answers(runtime, contribution.id)
    assert (
        stored["frequentation"].value == "yes"
        and stored["frequentation"].status == AnswerStatus.VALID
    )
    assert stored["priorite"].status == AnswerStatus.REVIEW
    assert "overvote" in (stored["priorite"].raw_input or "")


def test_numbers_are_read_by_tesseract_and_handwriting_waits_for_a_person(
    runtime: Runtime, tmp_path: Path
) -> None:
    layout = make_layout(runtime, "PARC")
    pages = make_pages(make_pdf(layout, key_of(runtime)), 300)
    make_marks(
        pages[0],
        300,
        layout,
        {
            ("frequentation", "no"): "cross",
            ("priorite", "bancs"): "cross",
            ("satisfaction", "4"): "cross",
        },
    )
    _write(pages[0], 300, layout.page(1).boxes[-1].rect_pt, "12", cv2.FONT_HERSHEY_SIMPLEX)
    idea = next(b for b in layout.page(2).boxes if b.question_id == "idee")
    _write(pages[1], 300, idea.rect_pt, "plus de bancs", cv2.FONT_HERSHEY_SCRIPT_SIMPLEX)
    paths = [make_png(tmp_path, page, f"parc-{i}.png") for i, page in enumerate(pages)]

    lines = scan(runtime, paths)

    assert lines[0]["answers"]["visites"]["value"] == 12
    assert lines[0]["answers"]["visites"]["confidence"] > 0.5
    assert lines[1]["answers"]["idee"]["status"] == "review"
    (contribution,) = _contributions(runtime)
    stored = _answers(runtime, contribution.id)
    assert stored["satisfaction"].value == 4 and stored["priorite"].value == "bancs"
    assert stored["idee"].status == AnswerStatus.REVIEW
    with runtime.sessions() as session:
        crops = session.scalars(
            select(ContributionEvidence).where(ContributionEvidence.role == "crop")
        ).all()
    assert {c.question_id for c in crops} == {"idee", "visites"}


def _write(
    gray: np.ndarray, dpi: float, rect: tuple[float, float, float, float], text: str, font: int
) -> None:
    x, y, w, h = (v * dpi / 72 for v in rect)
    scale = min(h / 40, 3.0)
    cv2.putText(
        gray,
        text,
        (round(x + 0.08 * w), round(y + 0.75 * h)),
        font,
        scale,
        20,
        max(2, round(scale * 2)),
    )


def test_a_sheet_scanned_twice_is_counted_once(runtime: Runtime, tmp_path: Path) -> None:
    layout = make_layout(runtime, "BUDGET")
    page = make_ballot(runtime, layout, BANCS)
    rescan = make_png(tmp_path, deck.rotate(page, 1.5), "rescan.png")
    photocopy = make_png(tmp_path, deck.noise(page, np.random.default_rng(1)), "photocopy.png")

    lines = scan(runtime, [make_png(tmp_path, page, "first.png"), rescan, photocopy])

    assert [line["status"] for line in lines] == ["read", "duplicate", "duplicate"]
    assert "already scanned" in lines[1]["reason"]
    assert len(_contributions(runtime)) == 1


def test_the_same_file_twice_is_recognised_by_its_hash(runtime: Runtime, tmp_path: Path) -> None:
    layout = make_layout(runtime, "BUDGET")
    page = make_ballot(runtime, layout, BANCS)
    path = make_png(tmp_path, page, "p.png")
    scan(runtime, [path], batch="monday")

    opened = service.open_batch(runtime, "tuesday", "test")
    outcome = service.take_file(runtime, opened, path)

    assert outcome.same_as == "monday" and outcome.pages_stored == 0
    assert len(_contributions(runtime)) == 1


def test_forged_outdated_and_foreign_forms_are_rejected(runtime: Runtime, tmp_path: Path) -> None:
    layout = make_layout(runtime, "BUDGET")
    forged = make_pages(make_pdf(layout, codes.mac_key(b"another gateway's secret")), DPI)[0]
    outdated = replace(layout, questions_hash="0" * 64)
    old = make_pages(make_pdf(outdated, key_of(runtime)), DPI)[0]
    blank = np.full((2339, 1654), 255, np.uint8)
    noise = np.random.default_rng(3).integers(0, 256, (1600, 1200), dtype=np.uint8)

    lines = scan(
        runtime,
        [
            make_png(tmp_path, image, f"{i}.png")
            for i, image in enumerate([forged, old, blank, noise])
        ],
    )

    assert [line["status"] for line in lines] == ["rejected"] * 4
    assert "signature" in lines[0]["reason"]
    assert "outdated" in lines[1]["reason"]
    assert "no form markers" in lines[2]["reason"] and "no form markers" in lines[3]["reason"]
    assert _contributions(runtime) == []


def _edit(runtime: Runtime, code: str, change: dict[str, Any]) -> None:
    """Save a new version of a definition, as `portevoix consultations load` would."""
    with transaction(runtime.sessions) as session:
        definition = consultations.definition_of(consultations.get(session, code))
        edited = Definition.model_validate({**definition.model_dump(mode="json"), **change})
        assert consultations.save_definition(session, edited)[1]


def test_forms_printed_before_an_edit_that_leaves_them_unchanged_are_still_read(
    runtime: Runtime, tmp_path: Path
) -> None:
    layout = make_layout(runtime, "BUDGET")
    page = make_ballot(runtime, layout, BANCS)
    with runtime.sessions() as session:
        closes_at = consultations.definition_by_code(session, "BUDGET").closes_at  # type: ignore[union-attr]
    _edit(runtime, "BUDGET", {"closes_at": (closes_at + timedelta(days=7)).isoformat()})

    lines = scan(runtime, [make_png(tmp_path, page, "p.png")])

    assert [line["status"] for line in lines] == ["read"]
    assert len(_contributions(runtime)) == 1


def test_forms_printed_before_their_options_changed_are_outdated(
    runtime: Runtime, tmp_path: Path
) -> None:
    layout = make_layout(runtime, "BUDGET")
    page = make_ballot(runtime, layout, BANCS)
    with runtime.sessions() as session:
        definition = consultations.definition_by_code(session, "BUDGET")
    assert definition is not None
    questions = [q.model_dump(mode="json") for q in definition.questions]
    questions[0]["options"][0]["label"]["fr"] = "Autre chose"
    _edit(runtime, "BUDGET", {"questions": questions})

    lines = scan(runtime, [make_png(tmp_path, page, "p.png")])

    assert [line["status"] for line in lines] == ["rejected"]
    assert "outdated" in lines[0]["reason"]
    assert _contributions(runtime) == []


def test_a_page_with_a_hidden_marker_goes_to_review(runtime: Runtime, tmp_path: Path) -> None:
    layout = make_layout(runtime, "BUDGET")
    page = make_ballot(runtime, layout, BANCS)
    page[-400:, :400] = 255  # a hand over the bottom-left corner

    (line,) = scan(runtime, [make_png(tmp_path, page, "p.png")])

    assert line["status"] == "review" and "marker" in line["reason"]
    assert _contributions(runtime) == []


def test_a_test_deck_is_read_but_never_counted(runtime: Runtime, tmp_path: Path) -> None:
    layout = make_layout(runtime, "BUDGET")
    page = make_marks(
        make_pages(make_pdf(layout, key_of(runtime), test=True), DPI)[0],
        DPI,
        layout,
        {("projets", "bancs"): "cross"},
    )

    (line,) = scan(runtime, [make_png(tmp_path, page, "p.png")])

    assert line["status"] == "read" and "test copy" in line["reason"]
    assert line["answers"]["projets"]["value"] == ["bancs"]
    assert _contributions(runtime) == []


def test_a_multi_page_form_becomes_one_contribution_once_both_pages_are_in(
    runtime: Runtime, tmp_path: Path
) -> None:
    layout = make_layout(runtime, "PARC")
    pages = make_pages(make_pdf(layout, key_of(runtime)), DPI)
    make_marks(
        pages[0],
        DPI,
        layout,
        {
            ("frequentation", "yes"): "cross",
            ("priorite", "arbres"): "tick",
            ("satisfaction", "5"): "cross",
        },
    )
    make_marks(pages[1], DPI, layout, {("quartier", "tilleuls"): "cross"}, page=2)
    tiff = tmp_path / "both.tif"
    Image.fromarray(pages[1]).save(
        tiff, save_all=True, append_images=[Image.fromarray(deck.rotate(pages[0], 90))]
    )

    scan(runtime, [tiff])

    (contribution,) = _contributions(runtime)
    stored = _answers(runtime, contribution.id)
    assert contribution.status == ContributionStatus.COUNTED
    assert stored["quartier"].value == "tilleuls" and stored["satisfaction"].value == 5


def test_a_corrupt_file_is_reported_and_the_batch_goes_on(runtime: Runtime, tmp_path: Path) -> None:
    layout = make_layout(runtime, "BUDGET")
    page = make_ballot(runtime, layout, BANCS)
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(make_png(tmp_path, page, "whole.png").read_bytes()[:5000])
    bomb = tmp_path / "bomb.png"
    Image.new("1", (12_000, 12_000), 1).save(bomb)

    opened = service.open_batch(runtime, "lot", "test")
    outcomes = [
        service.take_file(runtime, opened, p) for p in (corrupt, bomb, tmp_path / "whole.png")
    ]

    assert outcomes[0].error and "corrupt.png" in outcomes[0].error
    assert outcomes[1].error and "bomb.png" in outcomes[1].error
    assert outcomes[2].error is None and outcomes[2].pages_stored == 1


def test_a_crashed_batch_resumes_without_reading_a_page_twice(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = make_layout(runtime, "BUDGET")
    pages = make_pages(make_pdf(layout, key_of(runtime), copies=3), DPI)
    for page in pages:
        make_marks(page, DPI, layout, {("projets", "bancs"): "cross"})
    tiff = tmp_path / "lot.tif"
    Image.fromarray(pages[0]).save(
        tiff, save_all=True, append_images=[Image.fromarray(p) for p in pages[1:]]
    )
    opened = service.open_batch(runtime, "lot", "test")
    real_store = service._store_page
    stored = []

    def crash_on_third(*args: object) -> None:
        if len(stored) == 2:
            raise KeyboardInterrupt  # the machine stops while storing the third page
        stored.append(args)
        real_store(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "_store_page", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        service.take_file(runtime, opened, tiff)
    # The first page's job was taken, then the machine stopped mid-read.
    first_job = service.pending_jobs(runtime, opened.id)[0]
    from gateway.jobs import _claim

    assert _claim(runtime.sessions, first_job)
    monkeypatch.setattr(service, "_store_page", real_store)
    reads = []
    real_read = service.read_page
    monkeypatch.setattr(service, "read_page", lambda *a, **k: reads.append(1) or real_read(*a, **k))

    lines = scan(runtime, [tiff], batch="lot")

    assert len(lines) == 3 and {line["status"] for line in lines} == {"read"}
    assert len(reads) == 3
    assert len(_contributions(runtime)) == 3
    scan(runtime, [tiff], batch="lot")  # given again: nothing left to read
    assert len(reads) == 3


CLOSES_AT = datetime(2027, 1, 31, 19, 0, tzinfo=UTC)


def _scan_collected(
    runtime: Runtime, path: Path, collected_at: datetime | None
) -> list[dict[str, Any]]:
    service.open_batch(runtime, "urne", "test", collected_at)
    return scan(runtime, [path], batch="urne")


def test_paper_collected_before_the_close_counts_however_late_it_is_scanned(
    runtime: Runtime, tmp_path: Path, clock: Clock
) -> None:
    path = make_png(tmp_path, make_ballot(runtime, make_layout(runtime, "BUDGET"), BANCS), "p.png")
    collected = CLOSES_AT - timedelta(minutes=5)  # the ballot box closed with the vote
    clock.now = CLOSES_AT + timedelta(days=3)  # scanned on the Monday after

    (line,) = _scan_collected(runtime, path, collected)

    assert line["status"] == "read", line["reason"]
    (counted,) = _contributions(runtime)
    assert as_utc(counted.submitted_at) == collected
    assert _answers(runtime, counted.id)["projets"].value == ["bancs"]


def test_paper_collected_after_the_close_is_refused_saying_when(
    runtime: Runtime, tmp_path: Path, clock: Clock
) -> None:
    path = make_png(tmp_path, make_ballot(runtime, make_layout(runtime, "BUDGET"), BANCS), "p.png")
    clock.now = CLOSES_AT + timedelta(days=3)

    (line,) = _scan_collected(runtime, path, CLOSES_AT + timedelta(hours=1))

    assert line["status"] == "rejected"
    assert "closed" in line["reason"] and "collected 2027-01-31 20:00 UTC" in line["reason"]
    assert _contributions(runtime) == []


def test_a_collection_date_to_come_is_refused(runtime: Runtime, clock: Clock) -> None:
    with pytest.raises(service.BatchRefused, match="future"):
        service.open_batch(runtime, "demain", "test", clock.now + timedelta(hours=1))
    with pytest.raises(service.BatchRefused, match="future"):
        service.open_batch(runtime, "demain", "test", service.collection_time("2026-12-02", "UTC"))


def test_a_batch_keeps_its_collection_date_and_journals_it(runtime: Runtime, clock: Clock) -> None:
    collected = clock.now - timedelta(days=1)
    opened = service.open_batch(runtime, "urne", "agnes", collected)

    assert service.open_batch(runtime, "urne", "agnes").id == opened.id  # resumed as it was
    with pytest.raises(service.BatchRefused, match="collected on 2026-11-30 12:00 UTC"):
        service.open_batch(runtime, "urne", "agnes", clock.now)
    with runtime.sessions() as session:
        (event,) = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "paper.batch_opened")
        )
        assert event.payload["collected_at"] == collected.isoformat()
        assert event.actor == "agnes"


def test_a_date_alone_is_the_end_of_that_day_or_now(clock: Clock) -> None:
    assert service.collection_time("2026-11-20", "Europe/Paris") == datetime(
        2026, 11, 20, 22, 59, 59, 999999, tzinfo=UTC
    )
    assert service.collection_time("2026-12-01", "Europe/Paris") == clock.now
    assert service.collection_time("2026-11-20T18:30", "Europe/Paris") == datetime(
        2026, 11, 20, 17, 30, tzinfo=UTC
    )
    with pytest.raises(service.BatchRefused, match="YYYY-MM-DD"):
        service.collection_time("20/11/2026", "Europe/Paris")


def test_late_paper_is_refused_once_the_results_are_published(
    runtime: Runtime, tmp_path: Path, clock: Clock
) -> None:
    make_layout(runtime, "BUDGET")
    # Published on a set date from the start: the printed forms are of this version.
    layout = _publish(runtime, "BUDGET", CLOSES_AT + timedelta(days=1))
    path = make_png(tmp_path, make_ballot(runtime, layout, BANCS), "p.png")
    clock.now = CLOSES_AT + timedelta(days=3)

    (line,) = _scan_collected(runtime, path, CLOSES_AT - timedelta(hours=1))

    assert line["status"] == "rejected" and "published" in line["reason"]
    assert _contributions(runtime) == []


def _publish(runtime: Runtime, code: str, at: datetime) -> Layout:
    """A new version of the consultation whose results are published at `at`; its layout."""
    with runtime.sessions() as session, session.begin():
        definition = consultations.definition_of(consultations.get(session, code))
        results = definition.results.model_copy(update={"published_at": at})
        changed = definition.model_copy(update={"results": results})
        consultations.save_definition(session, Definition.model_validate(changed.model_dump()))
        saved = consultations.get(session, code)
        return service.layout_of(saved.definition_hash, consultations.definition_of(saved))


def test_every_page_image_is_purged_when_its_retention_ends(
    runtime: Runtime, tmp_path: Path, clock: Clock
) -> None:
    layout = make_layout(runtime, "BUDGET")
    page = make_ballot(runtime, layout, BANCS)
    hidden = page.copy()
    hidden[-400:, :400] = 255  # a marker missing: review, never linked to a contribution
    forged = make_pages(make_pdf(layout, codes.mac_key(b"another gateway's secret")), DPI)[0]
    lines = scan(runtime, [make_png(tmp_path, p, f"{i}.png") for i, p in enumerate(
        [page, deck.rotate(page, 1.0), hidden, forged]
    )])  # fmt: skip
    assert [line["status"] for line in lines] == ["read", "duplicate", "review", "rejected"]
    counted = [(c.id, c.status, c.receipt_code) for c in _contributions(runtime)]
    answers = _answers(runtime, counted[0][0])
    loose = _loose_images(runtime)
    assert len(loose) >= 3 and all(runtime.evidence.path(sha).exists() for sha in loose)

    clock.advance(days=runtime.settings.evidence_retention_days + 1)
    purge_expired_evidence(runtime)

    assert not any(runtime.evidence.path(sha).exists() for sha in loose)
    assert [(c.id, c.status, c.receipt_code) for c in _contributions(runtime)] == counted
    assert {q: a.value for q, a in _answers(runtime, counted[0][0]).items()} == {
        q: a.value for q, a in answers.items()
    }


def _loose_images(runtime: Runtime) -> set[str]:
    """The scans and overlays of the pages that no contribution holds."""
    with runtime.sessions() as session:
        pages = session.scalars(select(PaperPage).where(PaperPage.contribution_id.is_(None)))
        return {sha for p in pages for sha in (p.image_sha256, p.overlay_sha256) if sha}


def test_a_noisy_600_dpi_page_is_stored_under_the_evidence_limit_and_read(
    runtime: Runtime, tmp_path: Path
) -> None:
    layout = make_layout(runtime, "BUDGET")
    page = make_ballot(runtime, layout, BANCS, dpi=600)
    rng = np.random.default_rng(5)
    page = cv2.subtract(cv2.add(page, rng.integers(0, 64, page.shape, dtype=np.uint8)),
                        rng.integers(0, 64, page.shape, dtype=np.uint8))  # fmt: skip
    path = tmp_path / "p.tif"
    Image.fromarray(page).save(path, compression="tiff_lzw")

    (line,) = scan(runtime, [path])

    assert line["status"] == "read", line["reason"]
    assert line["answers"]["projets"]["value"] == ["bancs"]
    with runtime.sessions() as session:
        stored = session.scalars(select(PaperPage)).one()
        assert stored.image_size <= runtime.settings.evidence_max_bytes
        assert runtime.evidence.path(stored.image_sha256).stat().st_size == stored.image_size


def test_a_page_read_again_after_a_threshold_change_is_decided_anew(
    runtime: Runtime, tmp_path: Path
) -> None:
    layout = make_layout(runtime, "BUDGET")
    # A test copy: read like any other, never recorded, so it may be read again at will.
    page = make_pages(make_pdf(layout, key_of(runtime), test=True), DPI)[0]
    make_marks(page, DPI, layout, BANCS)
    (first,) = scan(runtime, [make_png(tmp_path, page, "p.png")])
    stricter = runtime.settings.model_copy(update={"paper_thresholds": {"marked_from": 0.95}})

    with build_runtime(stricter, dispatch=False) as strict:
        with transaction(strict.sessions) as session:
            (stored,) = session.scalars(select(PaperPage)).all()
            service.read_again(session, stored.id)
        scan(strict, [])  # runs what the batch waits for

    with runtime.sessions() as session:
        again = service.page_json(session.get_one(PaperPage, stored.id), "p.png")

    assert first["status"] == "read"
    assert again["status"] == "review" and "unclear mark on bancs" in again["reason"]


def test_unknown_threshold_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown paper thresholds: marked"):
        marks.thresholds({"marked": 0.2})
