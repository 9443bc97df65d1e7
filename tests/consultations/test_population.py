"""The reference population: an INSEE-style CSV copied into the definition, errors by line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.consultations.loader import DefinitionError, load_definition
from tests.helpers import BUDGET, PARC

CSV = PARC.parent / "population-exemple.csv"


def _beside(tmp_path: Path, definition: Path, csv_text: str) -> Path:
    copy = tmp_path / definition.name
    shutil.copy(definition, copy)
    (tmp_path / "population-exemple.csv").write_text(csv_text, encoding="utf-8")
    return copy


def test_figures_are_copied_into_the_definition() -> None:
    results = load_definition(PARC).results
    assert results.population_source == "population-exemple.csv"
    assert len(results.population) == 16
    assert sum(c.count for c in results.population) == 13500
    centre_young = results.population[0]
    assert (centre_young.groups, centre_young.count) == (
        {"quartier": "centre", "tranche-age": "moins-18"},
        714,
    )


def test_columns_the_definition_does_not_ask_are_summed() -> None:
    # BUDGET asks the age band only: the quartiers fold into one figure per band.
    cells = {c.groups["tranche-age"]: c.count for c in load_definition(BUDGET).results.population}
    assert cells == {"moins-18": 2925, "18-29": 2697, "30-59": 5300, "60-plus": 2578}


def test_a_bom_and_commas_are_read(tmp_path: Path) -> None:
    text = "\ufeffquartier,tranche-age,population\ncentre,18-29,10\ngare,18-29,30\n"
    results = load_definition(_beside(tmp_path, PARC, text)).results
    assert [c.count for c in results.population] == [10, 30]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "quartier;tranche-age\ncentre;18-29\n",
            "line 1: expected group columns and a 'population'",
        ),
        ("quartier;tranche-age;population\ncentre;18-29;dix\n", "line 2: population 'dix' is not"),
        ("quartier;tranche-age;population\ncentre;18-29\n", "line 2: not as many cells as columns"),
        ("quartier;tranche-age;population\nlune;18-29;4\n", "quartier='lune' is not an option"),
        ("region;population\nnord;4\n", "no column names a profile question"),
    ],
)
def test_a_bad_file_gets_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(_beside(tmp_path, PARC, text))
    assert message in str(caught.value)


def test_the_file_must_sit_beside_the_definition(tmp_path: Path) -> None:
    copy = tmp_path / "parc.yaml"
    copy.write_text(PARC.read_text().replace("population-exemple.csv", "../etc/passwd"))
    with pytest.raises(DefinitionError, match="name a file beside the definition"):
        load_definition(copy)
    copy.write_text(PARC.read_text())
    with pytest.raises(DefinitionError, match=r"population-exemple\.csv: no such file"):
        load_definition(copy)
