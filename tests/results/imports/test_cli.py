"""`portevoix import`, `export --what decidim` and `report`, run as an agent runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gateway.runtime import Runtime
from tests.helpers import load_examples
from tests.results.imports.test_decidim import MAPPING, SURVEY_FR, stored

PORTEVOIX = str(Path(sys.executable).parent / "portevoix")


def _portevoix(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PORTEVOIX_DATABASE_URL": db_url, "PORTEVOIX_ENVIRONMENT": "test"}
    return subprocess.run([PORTEVOIX, *args], env=env, capture_output=True, text=True, timeout=120)


def test_dry_run_then_import_then_report(runtime: Runtime, db_url: str, tmp_path: Path) -> None:
    load_examples(runtime)
    before = stored(runtime)
    common = ("import", "decidim", str(SURVEY_FR), "--consultation", "PARC")
    dry = _portevoix(db_url, *common, "--mapping", str(MAPPING), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "(dry run, nothing stored)" in dry.stdout
    assert "rows read: 6, imported: 3, already imported: 0, flagged for review: 1" in dry.stdout
    assert stored(runtime) == before
    done = _portevoix(db_url, *common, "--mapping", str(MAPPING))
    assert done.returncode == 0 and "(stored)" in done.stdout
    assert stored(runtime)[0] == before[0] + 3
    pdf = tmp_path / "rapport.pdf"
    assert _portevoix(db_url, "report", "PARC", "--out", str(pdf)).returncode == 0
    assert pdf.read_bytes().startswith(b"%PDF-")
    shaped = tmp_path / "decidim.csv"
    assert (
        _portevoix(db_url, "export", "PARC", "--what", "decidim", "--out", str(shaped)).returncode
        == 0
    )
    assert shaped.read_text(encoding="utf-8").startswith("ID de réponse;Répondu le;")


def test_errors_name_the_problem_and_store_nothing(runtime: Runtime, db_url: str) -> None:
    load_examples(runtime)
    wrong = _portevoix(
        db_url, "import", "decidim", str(SURVEY_FR), "--consultation", "PARC", "--separator", ","
    )
    assert wrong.returncode == 1
    assert "it seems to use ';': add --separator ';'" in wrong.stderr
    unknown = _portevoix(db_url, "import", "decidim", str(SURVEY_FR), "--consultation", "NOPE")
    assert unknown.returncode == 1 and "NOPE" in unknown.stderr
    assert stored(runtime)[0] == 0
