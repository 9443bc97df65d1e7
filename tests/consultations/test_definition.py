from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.consultations.loader import DefinitionError, load_definition, parse_definition
from gateway.consultations.schema import QuestionType
from tests.helpers import BUDGET, PARC


def test_examples_load() -> None:
    budget = load_definition(BUDGET)
    parc = load_definition(PARC)
    projets = budget.question("projets")
    assert projets is not None and projets.choice_limit == 3 and len(projets.options) == 8
    types = {q.type for q in parc.questions}
    assert {
        QuestionType.YES_NO,
        QuestionType.SINGLE_CHOICE,
        QuestionType.SCALE,
        QuestionType.TEXT,
    } <= types
    assert [q.id for q in parc.profile] == ["tranche-age", "quartier"]


def test_yes_no_gets_default_options() -> None:
    question = load_definition(PARC).question("frequentation")
    assert question is not None
    assert [(o.key, o.dtmf) for o in question.options] == [("yes", "1"), ("no", "2")]


def _budget() -> dict[str, Any]:
    return yaml.safe_load(BUDGET.read_text())


def _mutate(path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(_budget())
    node = data
    for step in path[:-1]:
        node = node[step]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


DELETE = object()

BAD_DEFINITIONS = [
    (["code"], "parc", "code: String should match pattern"),
    (["title", "fr"], DELETE, "title.fr: Field required"),
    (["closes_at"], "2026-10-01T08:00:00+01:00", "closes_at must come after opens_at"),
    (["opens_at"], "2026-11-01T08:00:00", "need a time zone"),
    (["kind"], "referendum", "kind: Input should be 'consultation' or 'vote'"),
    (
        ["questions", 0, "max_choices"],
        9,
        "questions[0] (projets): min_choices (1) and max_choices (9)",
    ),
    (["questions", 0, "options", 1, "dtmf"], "1", "DTMF digit '1' is used twice"),
    (
        ["questions", 0, "options", 2, "key"],
        "jardin-partage",
        "option key 'jardin-partage' is used twice",
    ),
    (
        ["questions", 0, "options", 2, "dtmf"],
        "12",
        "questions[0] (projets).options[2] (bancs).dtmf",
    ),
    (["questions", 0, "type"], "ranking", "questions[0] (projets).type: Input should be"),
    (
        ["questions", 0, "colour"],
        "red",
        "questions[0] (projets).colour: Extra inputs are not permitted",
    ),
    (["profile", 0, "id"], "projets", "question id 'projets' is used twice"),
    (["identity", "on_duplicate"], "merge", "identity.on_duplicate"),
    (["identity", "keys"], ["passport"], "identity.keys[0]"),
    (["channels"], ["sms", "fax"], "channels[1]"),
    (["questions"], [], "questions: List should have at least 1 item"),
]


@pytest.mark.parametrize(("path", "value", "expected"), BAD_DEFINITIONS)
def test_bad_definition_gets_one_clear_error(path: list[Any], value: Any, expected: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(_mutate(path, value), source="budget.yaml", folder=BUDGET.parent)
    message = str(caught.value)
    assert message.startswith("budget.yaml: ")
    assert expected in message
    assert "\n" not in message


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("code: PARC\ntitle: {fr: Quoi ?, en: x}\n")
    with pytest.raises(DefinitionError, match=r"bad.yaml: not valid YAML: line 2"):
        load_definition(bad)


def test_not_a_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "list.yaml"
    bad.write_text("- a\n- b\n")
    with pytest.raises(DefinitionError, match="expected a mapping"):
        load_definition(bad)
