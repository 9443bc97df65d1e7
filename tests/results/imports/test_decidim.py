"""Imports of Decidim's files (survey answers, budget projects, paper ballots), on both databases.

The files in tests/fixtures/decidim are written from Decidim's serializers and exporters
(see its README); the expectations below are counted by hand from those files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway import audit
from gateway.consultations import repository as consultations
from gateway.contributions.intake import DoorPolicy
from gateway.errors import PortevoixError
from gateway.results.imports.files import ImportFileError
from gateway.results.imports.mapping import MappingError, fold, parse_mapping
from gateway.results.imports.report import ImportReport
from gateway.results.imports.run import Source, import_file, suggest_mapping
from gateway.results.imports.survey import ImportRefused
from gateway.results.tally import Tally, tally
from gateway.runtime import Runtime
from gateway.store.models import Answer, AuditEvent, Contribution, ImportedTotal
from tests.helpers import assert_counts_match_recount, load_examples

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "decidim"
SURVEY_FR = FIXTURES / "survey_user_answers_fr.csv"
SURVEY_EN = FIXTURES / "survey_user_answers_en.json"
SURVEY_EN_CSV = FIXTURES / "survey_user_answers_en.csv"
MAPPING = FIXTURES / "parc-mapping.yaml"


@pytest.fixture
def loaded(runtime: Runtime) -> Runtime:
    load_examples(runtime)
    return runtime


def run(runtime: Runtime, path: Path, code: str = "PARC", **options: Any) -> ImportReport:
    """Import a file as `portevoix import` does: commit, or roll a dry run back."""
    dry_run = options.pop("dry_run", False)
    source = Source(path, options.pop("platform", "decidim"), **options)
    with runtime.sessions() as session:
        report = import_file(session, source, code, DoorPolicy(), dry_run)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return report


def stored(runtime: Runtime) -> tuple[int, int, int, int]:
    """How many contributions, answers, audit events and imported totals the store holds."""
    with runtime.sessions() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model))
            for model in (Contribution, Answer, AuditEvent, ImportedTotal)
        )


def counted(runtime: Runtime, code: str) -> Tally:
    with runtime.sessions() as session:
        return tally(session, code)


def test_french_csv_survey_answers(loaded: Runtime) -> None:
    report = run(loaded, SURVEY_FR, mapping=MAPPING)
    assert (report.read, report.imported, report.flagged) == (6, 3, 1)
    reasons = {r.line: r.reason for r in report.rejected}
    assert "'Une piscine' names no known option" in reasons[5]
    # Decidim's `'` before "-3" is removed, and -3 is then out of range.
    assert "satisfaction: -3 is out of range" in reasons[6]
    assert "PARC is closed" in reasons[7]
    assert report.ignored_columns == ["Statut de l'utilisateur"]
    assert report.added["priorite"] == {"arbres": 1, "jeux": 1}
    result = counted(loaded, "PARC")
    priorite = result.question("priorite")
    assert priorite.by_channel == {"online": {"arbres": 1, "jeux": 1}}
    assert priorite.awaiting_counts == {"arbres": 1}
    with loaded.sessions() as session:
        idea = session.scalar(select(Answer.value).where(Answer.raw_input.like("%HYPERLINK%")))
        sources = set(session.scalars(select(Answer.source)))
        held = session.scalars(
            select(Contribution.status_reason).where(Contribution.status == "review")
        ).one()
    assert idea == '=HYPERLINK("http://exemple.test")'
    assert sources == {"import:decidim"}
    assert held.startswith("possible duplicate of answer 7c1d2e3f4a5b6c7d") and "2 min" in held


def test_the_same_file_again_changes_nothing(loaded: Runtime) -> None:
    run(loaded, SURVEY_FR, mapping=MAPPING)
    before = stored(loaded)
    again = run(loaded, SURVEY_FR, mapping=MAPPING)
    assert (again.imported, again.already_imported, again.flagged) == (0, 3, 0)
    assert stored(loaded) == before
    assert_counts_match_recount(loaded)


def test_a_dry_run_stores_nothing_and_reports_the_same(loaded: Runtime) -> None:
    before = stored(loaded)
    dry = run(loaded, SURVEY_FR, mapping=MAPPING, dry_run=True)
    assert stored(loaded) == before
    assert (dry.imported, dry.flagged, len(dry.rejected)) == (3, 1, 3)
    assert "dry run, nothing stored" in dry.text()


def test_english_json_survey_answers(loaded: Runtime) -> None:
    report = run(loaded, SURVEY_EN, mapping=MAPPING)
    assert (report.read, report.imported, report.rejected) == (2, 2, [])
    result = counted(loaded, "PARC")
    assert result.question("priorite").counts == {
        "arbres": 0, "jeux": 1, "bancs": 0, "eclairage": 1
    }  # fmt: skip
    assert result.question("visites").counts == {"8": 1}
    assert result.question("tranche-age").counts["moins-18"] == 1
    with loaded.sessions() as session:
        assert set(session.scalars(select(Contribution.language))) == {"en"}


def test_english_column_names_are_read_by_name_like_french_ones(loaded: Runtime) -> None:
    # An English-locale admin's export: Decidim's English headers ("Answer ID", "Answered
    # on", "IP Hash", "User status"), choice cells in each respondent's own language.
    report = run(loaded, SURVEY_EN_CSV, mapping=MAPPING)
    assert (report.read, report.imported, report.flagged) == (6, 3, 1)
    reasons = {r.line: r.reason for r in report.rejected}
    assert "'A swimming pool' names no known option" in reasons[5]
    assert "satisfaction: -3 is out of range" in reasons[6]
    assert "PARC is closed" in reasons[7]
    assert report.ignored_columns == ["User status"]
    assert report.added["priorite"] == {"arbres": 1, "jeux": 1}
    with loaded.sessions() as session:
        held = session.scalars(
            select(Contribution.status_reason).where(Contribution.status == "review")
        ).one()
        languages = set(session.scalars(select(Contribution.language)))
    assert held.startswith("possible duplicate of answer 5b2c3d4e5f6a7b8c") and "2 min" in held
    assert languages == {"en"}
    assert counted(loaded, "PARC").question("quartier").counts["centre"] == 1


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


BUDGET_HEADER = (
    "ID de réponse;Répondu le;Hachage IP;Statut de l'utilisateur;"
    "1. Quels projets voulez-vous ? Choisissez 3 projets au plus.\n"
)


def test_labels_with_commas_are_matched_never_split(loaded: Runtime, tmp_path: Path) -> None:
    mapping = _write(
        tmp_path,
        "map.yaml",
        'options:\n  projets:\n    "Des bancs, et de l\'ombre": bancs\n'
        '    "Un jardin, partagé": jardin-partage\n',
    )
    answers = _write(
        tmp_path,
        "budget.csv",
        BUDGET_HEADER
        + "a1;2026-12-02 10:00:00 +0100;;;"
        + '"Des bancs, et de l\'ombre, Des fontaines à eau potable"\n'
        + 'a2;2026-12-02 11:00:00 +0100;;;"Un jardin, partagé, Des bancs, et de l\'ombre"\n',
    )
    report = run(loaded, answers, "BUDGET", mapping=mapping)
    assert (report.imported, report.rejected) == (2, [])
    assert report.added == {"projets": {"bancs": 2, "fontaines": 1, "jardin-partage": 1}}


def test_a_latin_1_file_is_named_and_read_when_asked(loaded: Runtime, tmp_path: Path) -> None:
    text = BUDGET_HEADER + "a1;2026-12-02 10:00:00 +0100;;;Des fontaines à eau potable\n"
    latin = _write(tmp_path, "latin.csv", text, "latin-1")
    with pytest.raises(ImportFileError, match="--encoding latin-1"):
        run(loaded, latin, "BUDGET")
    assert run(loaded, latin, "BUDGET", encoding="latin-1").imported == 1
    with_bom = _write(tmp_path, "bom.csv", "\ufeff" + text.replace("a1;", "b1;"))
    assert run(loaded, with_bom, "BUDGET").imported == 1


TRUNCATED_JSON = (
    '[{"ID de réponse": "j1", "Répondu le": "2026-12-02 10:00:00 UTC", '
    '"1. Quels projets voulez-vous ? Choisissez 3 projets au plus.": ["Toilettes"]}, {"ID'
)


def test_bad_files_are_refused_whole_with_a_clear_reason(loaded: Runtime, tmp_path: Path) -> None:
    comma = _write(tmp_path, "comma.csv", BUDGET_HEADER.replace(";", ","))
    row = "a1;2026-12-02 10:00:00 +0100;;;Toilettes\n"
    renamed = _write(
        tmp_path, "renamed.csv", BUDGET_HEADER.replace("ID de réponse", "Numéro") + row
    )
    cases = [
        (comma, "BUDGET", "it seems to use ','"),
        (renamed, "BUDGET", "no answer id column"),
        (SURVEY_FR, "BUDGET", "projets of BUDGET: is it the right consultation"),
        (_write(tmp_path, "empty.csv", ""), "BUDGET", "the file is empty"),
        (_write(tmp_path, "bad.json", TRUNCATED_JSON), "BUDGET", "not valid JSON"),
    ]
    before = stored(loaded)
    for path, code, message in cases:
        with pytest.raises(PortevoixError, match=message):
            run(loaded, path, code)
    assert stored(loaded) == before


def test_no_import_into_published_results(loaded: Runtime, pinned_after_publication: None) -> None:
    with pytest.raises(ImportRefused, match="published"):
        run(loaded, SURVEY_FR, mapping=MAPPING)


@pytest.fixture
def pinned_after_publication() -> Any:
    from datetime import UTC, datetime

    from gateway.clock import set_clock
    from tests.conftest import Clock

    with set_clock(Clock(datetime(2027, 4, 8, tzinfo=UTC))):
        yield


def test_a_bad_mapping_names_its_line(loaded: Runtime, tmp_path: Path) -> None:
    cases = {
        'questions:\n  "Quel âge ?": age\n': "line 2: no question 'age' in PARC",
        "options:\n  priorite:\n    Jeux: toboggan\n": "line 3: question priorite has no option",
        "colonnes:\n  id: x\n": "line 1: unknown section 'colonnes'",
        "questions: [a\n": "line 2: not valid YAML",
    }
    for text, message in cases.items():
        with pytest.raises(MappingError, match=message):
            run(loaded, SURVEY_FR, mapping=_write(tmp_path, "m.yaml", text))


def test_budget_projects_and_paper_ballots_are_totals_not_people(loaded: Runtime) -> None:
    paper_first = run(loaded, FIXTURES / "paper_ballots.csv", "BUDGET")
    assert len(paper_first.rejected) == 3 and stored(loaded)[3] == 0
    projects = run(loaded, FIXTURES / "projects.csv", "BUDGET")
    assert (projects.imported, projects.rejected) == (3, [])
    assert run(loaded, FIXTURES / "paper_ballots.csv", "BUDGET").imported == 3
    with loaded.sessions() as session:
        assert audit.verify(session).ok
        journaled = session.scalars(
            select(AuditEvent.payload).where(AuditEvent.action == "totals.imported")
        ).all()
    assert [p["source"] for p in journaled] == ["decidim:projects", "decidim:paper_ballots"]
    before = stored(loaded)
    assert run(loaded, FIXTURES / "projects.csv", "BUDGET").already_imported == 3
    assert stored(loaded) == before
    result = counted(loaded, "BUDGET")
    projets = result.question("projets")
    assert projets.imported == {
        "decidim:paper_ballots": {"jardin-partage": 12, "pistes-cyclables": 4, "fontaines": 9},
        "decidim:projects": {"jardin-partage": 41, "pistes-cyclables": 57, "fontaines": 33},
    }
    assert [r.key for r in projets.ranking[:3]] == [
        "pistes-cyclables",
        "jardin-partage",
        "fontaines",
    ]
    assert projets.answered == 0 and result.by_channel == {} and result.contributions == {}
    assert projets.envelope is not None
    funded = [p.key for p in projets.envelope.projects if p.funded]
    assert funded == ["pistes-cyclables", "jardin-partage", "fontaines"]
    assert (projets.envelope.spent, projets.envelope.left) == (190_000, 10_000)


def test_a_totals_file_with_an_unknown_project_stores_nothing(loaded: Runtime) -> None:
    report = run(loaded, FIXTURES / "projects.json", "BUDGET")
    assert [r.line for r in report.rejected] == [2]
    assert "project 104 (Un skatepark / A skatepark)" in report.rejected[0].reason
    assert stored(loaded)[3] == 0


def test_suggest_mapping_drafts_questions_and_labels(loaded: Runtime) -> None:
    with loaded.sessions() as session:
        draft = suggest_mapping(session, Source(SURVEY_FR), "PARC")
    assert '"2. Que faut-il faire en premier dans le parc ?": priorite' in draft
    assert '"Planter des arbres": arbres' in draft
    assert '"Des jeux, et un toboggan": ~  # no option matched' in draft
    # The draft is a mapping file as it stands: what it left empty is not mapped.
    with loaded.sessions() as session:
        definition = consultations.definition_of(consultations.get(session, "PARC"))
    assert parse_mapping(draft, definition).questions[fold("Quel âge avez-vous ?")] == "tranche-age"


def test_generic_csv_with_a_mapping(loaded: Runtime, tmp_path: Path) -> None:
    mapping = _write(
        tmp_path,
        "consul.yaml",
        "source: consul\ncolumns:\n  id: numero\n  submitted_at: date\n"
        'questions:\n  Projets: projets\nchoice_separator: "|"\n',
    )
    answers = _write(
        tmp_path,
        "consul.csv",
        "numero,date,Projets\n"
        "17,2026-12-05T10:00:00+01:00,Des bancs et de l'ombre en ville|Toilets\n",
    )
    report = run(loaded, answers, "BUDGET", platform="csv", mapping=mapping)
    assert (report.imported, report.rejected) == (1, [])
    with loaded.sessions() as session:
        external = session.scalars(select(Contribution.external_id)).one()
    assert external == "csv:consul:BUDGET:17"
    assert report.added == {"projets": {"bancs": 1, "toilettes": 1}}


PARC_HEADER = (
    "ID de réponse;Répondu le;Hachage IP;Statut de l'utilisateur;"
    "1. Allez-vous au parc des Tilleuls ?;2. Que faut-il faire en premier dans le parc ?;"
    "3. Aimez-vous le parc aujourd'hui ? Donnez une note de 1 à 5.\n"
)
PRIORITES = ["Planter des arbres", "Plus de bancs", "Éclairer le parc le soir"]


def make_survey(tmp_path: Path, rows: int, refused: set[int] = frozenset()) -> Path:  # type: ignore[assignment]
    """PARC answers, one a minute from distinct IP hashes; rows in `refused` rate the park 9."""
    lines = [
        f"r{i:05d};2026-12-02 {8 + i // 60:02d}:{i % 60:02d}:00 UTC;ip{i};Enregistré;Oui;"
        f"{PRIORITES[i % 3]};{9 if i in refused else 1 + i % 5}\n"
        for i in range(rows)
    ]
    # The last row: the first one again from the same IP hash, 2 minutes later.
    lines.append(f"again;2026-12-02 08:02:00 UTC;ip0;Enregistré;Oui;{PRIORITES[0]};1\n")
    return _write(tmp_path, "survey.csv", PARC_HEADER + "".join(lines))


def test_a_long_file_is_recorded_in_chunks_as_row_by_row(loaded: Runtime, tmp_path: Path) -> None:
    # 450 rows and a duplicate: three chunks, the middle one with a row the door refuses.
    survey = make_survey(tmp_path, 450, refused={300})
    report = run(loaded, survey)
    assert (report.read, report.imported, report.flagged) == (451, 450, 1)
    assert [(r.line, "satisfaction: 9 is out of range" in r.reason) for r in report.rejected] == [
        (302, True)
    ]
    assert report.added["priorite"] == {"arbres": 149, "bancs": 150, "eclairage": 150}
    result = counted(loaded, "PARC")
    assert result.question("priorite").counts == {
        "arbres": 149, "jeux": 0, "bancs": 150, "eclairage": 150
    }  # fmt: skip
    assert result.question("priorite").awaiting_counts == {"arbres": 1}
    assert_counts_match_recount(loaded)
    with loaded.sessions() as session:
        held = session.scalars(
            select(Contribution.status_reason).where(Contribution.status == "review")
        ).one()
        assert audit.verify(session).ok
    assert held.startswith("possible duplicate of answer r00000")

    before = stored(loaded)
    again = run(loaded, survey)
    assert (again.imported, again.already_imported, len(again.rejected)) == (0, 450, 1)
    assert stored(loaded) == before
    assert_counts_match_recount(loaded)
