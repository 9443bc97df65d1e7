"""The mapping file: how another platform's columns and labels name this consultation's.

```yaml
questions:                      # column title (with or without "1. ") -> question id
  "1. Quelle priorité pour le parc ?": priorite
options:                        # per question: a label, in any language -> option key
  priorite:
    "Des jeux pour enfants": jeux
    "Games for children": jeux
columns:                        # the file's own names for these columns, if unusual
  id: "ID de réponse"
  submitted_at: "Répondu le"
  ip_hash: "Hachage IP"
projects:                       # budgets: a Decidim project id -> option key
  "12": jardin-partage
question: projets               # budgets: the question the project totals count for
source: consul                  # generic CSV: the platform's name, part of each row's key
choice_separator: ", "          # generic CSV: what joins several choices in a cell
```

Every part is optional: without a mapping, columns are matched to question texts and
cells to option labels, in French and English. Every error names the file's line.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from gateway.consultations.schema import Definition
from gateway.errors import PortevoixError

MAX_MAPPING_BYTES = 1_000_000
COLUMN_ROLES = ("id", "submitted_at", "ip_hash")
_TOP = {"questions", "options", "columns", "projects", "question", "source", "choice_separator"}
_NUMBERED = re.compile(r"^\d+\.\s*")
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,23}$")


class MappingError(PortevoixError):
    pass


def fold(text: str) -> str:
    """A label as compared: NFC, case-folded, single spaces, typographic quotes as ASCII."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("\u00a0", " ")
    return " ".join(text.casefold().split())


def question_title(column: str) -> str:
    """A Decidim column title without the "3. " its position puts in front."""
    return _NUMBERED.sub("", column, count=1)


@dataclass
class Mapping:
    questions: dict[str, str] = field(default_factory=dict)  # folded column -> question id
    options: dict[str, dict[str, str]] = field(default_factory=dict)  # qid -> folded -> key
    columns: dict[str, str] = field(default_factory=dict)  # role -> column name
    projects: dict[str, str] = field(default_factory=dict)  # project id -> option key
    question: str | None = None
    source: str | None = None
    choice_separator: str = ", "


def load_mapping(path: Path | None, definition: Definition) -> Mapping:
    """Read and check a mapping file against the definition; MappingError names the line."""
    if path is None:
        return Mapping()
    try:
        if path.stat().st_size > MAX_MAPPING_BYTES:
            raise MappingError(f"{path}: over {MAX_MAPPING_BYTES} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MappingError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise MappingError(f"{path}: not UTF-8 text") from None
    return parse_mapping(text, definition, str(path))


def parse_mapping(text: str, definition: Definition, source: str = "<mapping>") -> Mapping:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise MappingError(f"{source}: {where}not valid YAML") from None
    if node is None:
        return Mapping()
    return _Reader(source, definition).mapping(node)


class _Reader:
    def __init__(self, source: str, definition: Definition) -> None:
        self.source, self.definition = source, definition

    def fail(self, node: yaml.Node, message: str) -> MappingError:
        return MappingError(f"{self.source}: line {node.start_mark.line + 1}: {message}")

    def pairs(self, node: yaml.Node, what: str) -> list[tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping of names to values")
        return list(node.value)

    def text(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise self.fail(node, "expected a text")
        return str(node.value).strip()

    def mapping(self, node: yaml.Node) -> Mapping:
        result = Mapping()
        for key_node, value in self.pairs(node, "the mapping file"):
            key = self.text(key_node)
            if key not in _TOP:
                raise self.fail(
                    key_node, f"unknown section {key!r} (known: {', '.join(sorted(_TOP))})"
                )
            getattr(self, f"_{key}")(value, result)
        return result

    def _question_id(self, node: yaml.Node) -> str:
        question_id = self.text(node)
        if self.definition.question(question_id) is None:
            known = ", ".join(q.id for q in self.definition.all_questions)
            raise self.fail(
                node, f"no question {question_id!r} in {self.definition.code} ({known})"
            )
        return question_id

    def _option_key(self, node: yaml.Node, question_id: str) -> str:
        key = self.text(node)
        question = self.definition.question(question_id)
        if question is None or question.option(key) is None:
            raise self.fail(node, f"question {question_id} has no option {key!r}")
        return key

    def _questions(self, node: yaml.Node, result: Mapping) -> None:
        for column, question in self.pairs(node, "questions"):
            if _left_empty(question):
                continue
            result.questions[fold(question_title(self.text(column)))] = self._question_id(question)

    def _options(self, node: yaml.Node, result: Mapping) -> None:
        for question_node, labels in self.pairs(node, "options"):
            question_id = self._question_id(question_node)
            table = result.options.setdefault(question_id, {})
            for label, key in self.pairs(labels, f"options of {question_id}"):
                if _left_empty(key):
                    continue
                table[fold(self.text(label))] = self._option_key(key, question_id)

    def _columns(self, node: yaml.Node, result: Mapping) -> None:
        for role, name in self.pairs(node, "columns"):
            if self.text(role) not in COLUMN_ROLES:
                raise self.fail(role, f"unknown column role (known: {', '.join(COLUMN_ROLES)})")
            result.columns[self.text(role)] = self.text(name)

    def _question(self, node: yaml.Node, result: Mapping) -> None:
        result.question = self._question_id(node)

    def _projects(self, node: yaml.Node, result: Mapping) -> None:
        question_id = result.question or _budget_question(self.definition)
        if question_id is None:
            raise self.fail(node, "projects: put `question:` first, naming the budget question")
        for project, key in self.pairs(node, "projects"):
            result.projects[self.text(project)] = self._option_key(key, question_id)

    def _source(self, node: yaml.Node, result: Mapping) -> None:
        name = self.text(node)
        if not _SOURCE.match(name):
            raise self.fail(node, "source: lower-case letters, digits, - or _, at most 24")
        result.source = name

    def _choice_separator(self, node: yaml.Node, result: Mapping) -> None:
        if not isinstance(node, yaml.ScalarNode) or not node.value:
            raise self.fail(node, 'choice_separator: expected a text, e.g. ", " or "|"')
        result.choice_separator = str(node.value)


def _left_empty(node: yaml.Node) -> bool:
    """A `~` (as a suggested mapping writes for what it could not match): not mapped."""
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _budget_question(definition: Definition) -> str | None:
    """The question budget totals count for: the one with an envelope, else the only choice."""
    with_envelope = [q.id for q in definition.questions if q.envelope is not None]
    choices = [q.id for q in definition.questions if q.options]
    candidates = with_envelope or choices
    return candidates[0] if len(candidates) == 1 else None


def budget_question(definition: Definition, mapping: Mapping) -> str:
    found = mapping.question or _budget_question(definition)
    if found is None:
        raise MappingError(
            f"{definition.code} has several choice questions: name the budget one with "
            "`question:` in a mapping file"
        )
    return found


def suggest(definition: Definition, columns: list[str], labels: dict[str, set[str]]) -> str:
    """A first mapping, matched on texts and labels, for a person to check and complete."""
    lines = ["# Suggested by portevoix import --suggest-mapping: check every line.", "questions:"]
    found: dict[str, str] = {}
    for column in columns:
        question_id = _match_question(definition, column)
        found[column] = question_id or ""
        lines.append(f"  {_quote(column)}: {question_id or '~  # no question matched'}")
    lines.append("options:")
    for column, question_id in found.items():
        question = definition.question(question_id) if question_id else None
        if question is None or not question.options:
            continue
        lines.append(f"  {question_id}:")
        for label in sorted(labels.get(column, ())):
            key = _match_option(definition, question_id, label)
            lines.append(f"    {_quote(label)}: {key or '~  # no option matched'}")
    return "\n".join(lines) + "\n"


def _match_question(definition: Definition, column: str) -> str | None:
    wanted = fold(question_title(column))
    for question in definition.all_questions:
        if wanted in {fold(question.text.fr), fold(question.text.en or "")}:
            return question.id
    return None


def _match_option(definition: Definition, question_id: str, label: str) -> str | None:
    question = definition.question(question_id)
    options = question.options if question else []
    return next((o.key for o in options if fold(label) in {fold(n) for n in o.names()}), None)


def _quote(text: str) -> str:
    """A double-quoted YAML scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def known_question(definition: Definition, mapping: Mapping, column: str) -> str | None:
    """The question a column answers: from the mapping, else by the question's text."""
    return mapping.questions.get(fold(question_title(column))) or _match_question(
        definition, column
    )


def option_labels(definition: Definition, mapping: Mapping, question_id: str) -> dict[str, str]:
    """Every folded label naming an option of the question -> its key."""
    question = definition.question(question_id)
    table = {fold(n): o.key for o in (question.options if question else []) for n in o.names()}
    return {**table, **mapping.options.get(question_id, {})}
