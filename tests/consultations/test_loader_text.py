"""Hostile definition files get a DefinitionError naming the field, never another exception."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.consultations.loader import (
    MAX_DEFINITION_CHARS,
    DefinitionError,
    definition_from_yaml,
    load_definition,
)
from tests.helpers import PARC

QUESTION = 'fr: "Allez-vous au parc des Tilleuls ?"'
ALIASES = "\n".join(
    [f"a0: &a0 [{', '.join(['x'] * 10)}]"]
    + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 6)]
)


def _parc(old: str, new: str) -> str:
    text = PARC.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_parc(QUESTION, 'fr: "Allez\\0vous ?"'),
         "questions[0] (frequentation).text.fr: control character U+0000 is not allowed"),
        (_parc(QUESTION, 'fr: "Allez\\x1bvous ?"'), "text.fr: control character U+001B"),
        (_parc(QUESTION, 'fr: "Allez\\x85vous ?"'), "text.fr: control character U+0085"),
        (_parc(QUESTION, 'fr: "Allez\\ud800vous ?"'), "text.fr: not valid Unicode: lone surrogate"),
        (_parc("id: frequentation", 'id: "fr\\udfff"'),
         "questions[0] (fr\\udfff).id: not valid Unicode"),
        (_parc("code: PARC", 'code: PARC\n"\\0": 1'), "top level: control character U+0000"),
        (_parc(QUESTION, f'fr: "{"x" * 10_001}"'), "text.fr: longer than 10000 characters"),
        (_parc("opens_at: 2026-11-01", "opens_at: 2026-13-01"), "not valid YAML: month must be"),
        (_parc("max: 31", f"max: {'3' * 5000}"), "not valid YAML: Exceeds the limit"),
        ("[" * 5000, "not valid YAML: nested too deeply"),
        (ALIASES, "over 100000 values (YAML aliases?)"),
        ("x" * (MAX_DEFINITION_CHARS + 1), "over 1000000 characters"),
    ],
)  # fmt: skip
def test_hostile_text_gets_a_definition_error(text: str, expected: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        definition_from_yaml(text, source="parc.yaml", folder=PARC.parent)
    assert str(caught.value).startswith("parc.yaml: ")
    assert expected in str(caught.value)


def test_lines_rtl_marks_and_combining_accents_are_text() -> None:
    text = _parc(QUESTION, 'fr: "Allez-vous\\n\\tau parc\\u200f e\\u0301 ?"')
    question = definition_from_yaml(text, folder=PARC.parent).question("frequentation")
    assert question is not None and question.text.fr == "Allez-vous\n\tau parc\u200f e\u0301 ?"


def test_a_file_over_the_bound_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_DEFINITION_CHARS * 4 + 1))
    with pytest.raises(DefinitionError, match=r"big\.yaml: over 1000000 characters"):
        load_definition(big)
