"""Read a consultation definition from YAML, with one clear error per mistake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gateway.consultations.schema import Definition
from gateway.errors import PortevoixError


class DefinitionError(PortevoixError):
    pass


def load_definition(path: Path) -> Definition:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DefinitionError(f"{path}: no such file") from None
    except yaml.YAMLError as error:
        raise DefinitionError(f"{path}: not valid YAML: {_yaml_where(error)}") from None
    except UnicodeDecodeError:
        raise DefinitionError(f"{path}: not UTF-8 text") from None
    return parse_definition(data, source=str(path))


def parse_definition(data: Any, source: str = "<definition>") -> Definition:
    if not isinstance(data, dict):
        raise DefinitionError(f"{source}: expected a mapping of fields at the top level")
    try:
        return Definition.model_validate(data)
    except ValidationError as error:
        raise DefinitionError(f"{source}: {describe(error, data)}") from None


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
