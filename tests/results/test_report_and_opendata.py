"""The Decidim open-data shape read back by the import, the PDF report, the envelope."""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from gateway.consultations import repository as consultations
from gateway.consultations.loader import definition_from_yaml, load_definition
from gateway.consultations.schema import Question
from gateway.contributions.intake import DoorPolicy
from gateway.results import opendata
from gateway.results.imports.files import json_rows
from gateway.results.imports.run import Source, import_file
from gateway.results.report import pdf_report
from gateway.results.tally import Rank, envelope, tally
from gateway.runtime import Runtime
from tests.helpers import PARC
from tests.results.seed import seed


def _copy_of_parc(runtime: Runtime, code: str) -> None:
    text = PARC.read_text(encoding="utf-8").replace("code: PARC", f"code: {code}")
    definition = definition_from_yaml(text, folder=PARC.parent)
    with runtime.sessions() as session, session.begin():
        consultations.save_definition(session, definition)


@pytest.mark.parametrize(("form", "language"), [("csv", "fr"), ("json", "en")])
def test_export_then_import_gives_the_same_tallies(
    runtime: Runtime, tmp_path: Path, form: str, language: str
) -> None:
    seed(runtime)
    _copy_of_parc(runtime, "PARC2")
    with runtime.sessions() as session:
        write = opendata.survey_to_csv if form == "csv" else opendata.survey_to_json
        exported = tmp_path / f"parc.{form}"
        exported.write_text(write(session, "PARC", language), encoding="utf-8")
        report = import_file(session, Source(exported), "PARC2", DoorPolicy())
        session.commit()
    assert (report.read, report.imported, report.rejected) == (7, 7, [])
    with runtime.sessions() as session:
        original, copy = tally(session, "PARC"), tally(session, "PARC2")
    for question in original.questions:
        assert copy.question(question.question_id).counts == question.counts
    assert copy.by_channel == {"online": 7}  # the channel column is shown, not read back


def test_budget_projects_in_decidim_shape(runtime: Runtime, tmp_path: Path) -> None:
    from tests.helpers import load_examples, make_intake, record

    load_examples(runtime)
    for chosen in (["bancs", "fontaines"], ["bancs"]):
        record(runtime, make_intake("BUDGET", {"projets": chosen}))
    with runtime.sessions() as session:
        result = tally(session, "BUDGET")
        definition = consultations.definition_of(consultations.get(session, "BUDGET"))
    path = tmp_path / "projects.json"
    path.write_text(opendata.projects_to_json(result, definition), encoding="utf-8")
    projects = {row.cells["option"]: row.cells for row in json_rows(path, "utf-8")}
    assert projects["bancs"]["confirmed_votes"] == 2
    assert projects["bancs"]["budget_amount"] == 30_000
    assert projects["fontaines"]["title"] == {
        "fr": "Des fontaines à eau potable", "en": "Drinking water fountains"
    }  # fmt: skip


def test_the_pdf_report_renders_with_the_totals(runtime: Runtime) -> None:
    seed(runtime)
    with runtime.sessions() as session:
        result = tally(session, "PARC", "fr")
    pdf = pdfium.PdfDocument(pdf_report(result))
    text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
    assert "Résultats : Le nouveau parc des Tilleuls" in text
    assert "Participations comptées : 7. En attente de vérification par un médiateur : 1." in text
    assert "Méthode" in text and "Qui manquerait avec internet seul" in text
    bitmap = pdf[0].render(scale=1, rev_byteorder=True).to_numpy()  # RGB(A)
    pdf.close()
    # Ink on the first page: the title and the blue bars of the first chart.
    assert (bitmap[:, :, :3] < 128).any()
    assert ((bitmap[:, :, 2] > 150) & (bitmap[:, :, 0] < 40)).any()


def _budget(amounts: dict[str, int], budget: int) -> Question:
    options = [{"key": k, "label": {"fr": k}, "amount": a} for k, a in amounts.items()]
    return Question.model_validate(
        {"id": "p", "type": "multiple_choice", "text": {"fr": "?"}, "options": options,
         "envelope": budget}
    )  # fmt: skip


def test_what_fits_in_the_envelope() -> None:
    question = _budget({"a": 60, "b": 50, "c": 30, "d": 20, "e": 5}, 100)
    ranks = [
        Rank("a", "a", 9, 1), Rank("b", "b", 7, 2), Rank("c", "c", 5, 3, ["d"]),
        Rank("d", "d", 5, 3, ["c"]), Rank("e", "e", 0, 5),
    ]  # fmt: skip
    funded = envelope(question, ranks)
    # a (60) fits, b (50) does not, c (30) fits, d (20) no longer does; e has no vote.
    assert [p.key for p in funded.projects if p.funded] == ["a", "c"]
    assert (funded.spent, funded.left) == (90, 10)
    # c and d are tied on either side of the line: the report says so.
    assert [p.key for p in funded.projects if p.tie_decided] == ["c", "d"]


def test_an_envelope_needs_every_amount() -> None:
    with pytest.raises(ValueError, match="every option needs an amount: b"):
        Question.model_validate(
            {"id": "p", "type": "multiple_choice", "text": {"fr": "?"}, "envelope": 10,
             "options": [{"key": "a", "label": {"fr": "a"}, "amount": 1},
                         {"key": "b", "label": {"fr": "b"}}]}
        )  # fmt: skip


def test_the_budget_example_has_its_envelope() -> None:
    question = load_definition(PARC.parent / "budget-participatif.yaml").questions[0]
    assert question.envelope == 200_000
    assert all(o.amount for o in question.options)


def test_json_items_across_read_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.results.imports import files

    monkeypatch.setattr(files, "CHUNK", 7)
    items = [{"id": str(i), "text": "é" * i, "list": ["a, b", "c"]} for i in range(30)]
    path = tmp_path / "items.json"
    path.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    assert [row.cells for row in json_rows(path, "utf-8")] == items


def test_the_page_shows_imported_totals_apart_and_the_envelope(runtime: Runtime) -> None:
    from fastapi.testclient import TestClient

    from gateway.app import create_app
    from tests.helpers import load_examples
    from tests.online.conftest import sign_in_staff
    from tests.results.imports.test_decidim import FIXTURES, run

    load_examples(runtime)
    run(runtime, FIXTURES / "projects.csv", "BUDGET")
    with TestClient(create_app(runtime=runtime)) as client:
        assert "Ce qui entre dans l" not in client.get("/results/BUDGET").text  # not published
        sign_in_staff(runtime, client)
        page = client.get("/results/BUDGET").text
    assert '<th scope="col">En ligne, totaux importés</th>' in page
    assert "<h4>Ce qui entre dans l'enveloppe</h4>" in page
    assert "Financé : 190000 €, reste : 10000 €" in page
    assert "Participations comptées : 0." in page  # votes, not people
