"""Read a consultation definition from YAML, with one clear error per mistake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gateway.consultations.population import PopulationError, read_population
from gateway.consultations.schema import Definition
from gateway.errors import PortevoixError
from gateway.text import UnsafeText, check_text, escape_surrogates

# A definition is a few kilobytes; these bounds keep a hostile file from costing more.
MAX_DEFINITION_CHARS = 1_000_000
MAX_STRING_CHARS = 10_000
# YAML aliases can repeat a node exponentially often without making the file longer.
MAX_VALUES = 100_000


class DefinitionError(PortevoixError):
    pass


def load_definition(path: Path) -> Definition:
    try:
        if path.stat().st_size > MAX_DEFINITION_CHARS * 4:
            raise DefinitionError(f"{path}: over {MAX_DEFINITION_CHARS} characters")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise DefinitionError(f"{path}: not UTF-8 text") from None
    return definition_from_yaml(text, source=str(path), folder=path.parent)


def definition_from_yaml(
    text: str, source: str = "<definition>", folder: Path | None = None
) -> Definition:
    """Read a definition from YAML text; DefinitionError names the first mistake."""
    if len(text) > MAX_DEFINITION_CHARS:
        raise DefinitionError(f"{source}: over {MAX_DEFINITION_CHARS} characters")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DefinitionError(f"{source}: not valid YAML: {_yaml_where(error)}") from None
    except ValueError as error:
        # PyYAML builds dates and numbers with Python's own constructors, which can refuse.
        raise DefinitionError(f"{source}: not valid YAML: {error}") from None
    except RecursionError:
        raise DefinitionError(f"{source}: not valid YAML: nested too deeply") from None
    return parse_definition(data, source=source, folder=folder)


def parse_definition(
    data: Any, source: str = "<definition>", folder: Path | None = None
) -> Definition:
    if not isinstance(data, dict):
        raise DefinitionError(f"{source}: expected a mapping of fields at the top level")
    _refuse_unsafe_text(data, source)
    data = _with_population(data, source, folder)
    try:
        return Definition.model_validate(data)
    except ValidationError as error:
        raise DefinitionError(f"{source}: {describe(error, data)}") from None


def _with_population(data: dict[Any, Any], source: str, folder: Path | None) -> dict[Any, Any]:
    """Copy the figures of `results.population: FILE.csv` (next to the definition) in."""
    results = data.get("results")
    if not isinstance(results, dict) or not isinstance(results.get("population"), str):
        return data
    if folder is None:
        raise DefinitionError(f"{source}: results.population: a file needs the definition's folder")
    name = results["population"]
    if Path(name).is_absolute() or ".." in Path(name).parts:
        raise DefinitionError(f"{source}: results.population: name a file beside the definition")
    try:
        cells = _marginal(read_population(folder / name), data)
    except PopulationError as error:
        raise DefinitionError(f"{source}: results.population: {error}") from None
    return {**data, "results": {**results, "population": cells, "population_source": name}}


def _marginal(cells: list[dict[str, Any]], data: dict[Any, Any]) -> list[Any]:
    """Sum the figures over the columns this definition asks no profile question about."""
    asked = {q.get("id") for q in data.get("profile") or [] if isinstance(q, dict)}
    totals: dict[tuple[tuple[str, str], ...], int] = {}
    for cell in cells:
        groups = tuple(sorted((k, v) for k, v in cell["groups"].items() if k in asked))
        totals[groups] = totals.get(groups, 0) + cell["count"]
    return [{"groups": dict(groups), "count": count} for groups, count in totals.items()]


def _refuse_unsafe_text(data: dict[Any, Any], source: str) -> None:
    """Every string, key or value, is plain text of bounded length, in a bounded document."""
    for seen, (text, loc) in enumerate(_strings(data)):
        if seen > MAX_VALUES:
            raise DefinitionError(f"{source}: over {MAX_VALUES} values (YAML aliases?)")
        try:
            check_text(text, MAX_STRING_CHARS, multiline=True)
        except UnsafeText as error:
            # The path names ids not checked yet, which may hold what cannot be printed.
            where = escape_surrogates(_field_path(loc, data)) or "top level"
            raise DefinitionError(f"{source}: {where}: {error}") from None


def _strings(data: Any) -> Iterator[tuple[str, tuple[int | str, ...]]]:
    """Each string in `data` with where it is; keys come before what they name."""
    pending: list[tuple[Any, tuple[int | str, ...]]] = [(data, ())]
    while pending:
        node, loc = pending.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                yield (key if isinstance(key, str) else ""), loc
                pending.append((value, (*loc, str(key))))
        elif isinstance(node, list):
            pending += [(value, (*loc, index)) for index, value in enumerate(node)]
        else:
            yield (node if isinstance(node, str) else ""), loc


def describe(error: ValidationError, data: Any) -> str:
    """Name the field of the first problem, with question ids rather than indexes."""
    first = error.errors(include_url=False)[0]
    where = _field_path(first["loc"], data)
    message = first["msg"].removeprefix("Value error, ")
    more = error.error_count() - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{where}: {message}{suffix}" if where else f"{message}{suffix}"


def _field_path(loc: tuple[int | str, ...], data: Any) -> str:
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            label = (
                node[step].get("id") or node[step].get("key") if _is_dict_at(node, step) else None
            )
            parts.append(f"[{step}]" + (f" ({label})" if label else ""))
        else:
            parts.append(("." if parts else "") + step)
        node = _descend(node, step)
    return "".join(parts)


def _is_dict_at(node: Any, index: int) -> bool:
    return isinstance(node, list) and index < len(node) and isinstance(node[index], dict)


def _descend(node: Any, step: int | str) -> Any:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and step < len(node):
        return node[step]
    return None


def _yaml_where(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark else problem
