"""The paper channel as the platform sees it."""

from __future__ import annotations

import shutil

from gateway.adapter import Check
from gateway.config import Settings
from gateway.jobs import JobSpec
from gateway.paper_ocr import marks, models, service
from gateway.paper_ocr.cli import app as cli
from gateway.paper_ocr.endpoints import router
from gateway.runtime import Runtime
from gateway.store.models import Channel


class PaperAdapter:
    channel = Channel.PAPER
    router = router
    cli = cli
    models = (
        models.PaperBatch,
        models.PaperFile,
        models.PaperPage,
        models.PaperSheet,
        models.PaperCopy,
    )
    jobs = (JobSpec(service.READ_JOB, service.read),)

    def urls(self, base: str, settings: Settings) -> list[str]:
        return [f"paper scans    {base}/staff/paper  (print: portevoix paper print CODE)"]

    def checks(self, runtime: Runtime) -> list[Check]:
        return [
            Check(
                "Tesseract with its French model (numbers written on forms)",
                shutil.which("tesseract") is not None and service.tesseract_has_french(),
                "install the Debian packages tesseract-ocr and tesseract-ocr-fra",
            ),
            Check(
                "paper thresholds",
                _known(runtime.settings.paper_thresholds),
                f"PORTEVOIX_PAPER_THRESHOLDS may set only {', '.join(marks.DEFAULT.as_json())}",
            ),
        ]


def _known(overrides: dict[str, float]) -> bool:
    return set(overrides) <= set(marks.DEFAULT.as_json())


PAPER = PaperAdapter()
