"""The rules of docs/architecture.md, checked on the source tree."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = {"sms", "ivr", "kiosk", "paper_ocr", "online"}
# Only the contributions core creates or rewrites contributions and answers.
WRITERS = {
    "gateway.contributions.door",
    "gateway.contributions.decisions",
    "gateway.contributions.repository",
    "gateway.audit",
}
WRITE_CALLS = {"insert", "update", "delete", "insert_or_ignore", "insert_or_ignore_row"}
# Columns only a contribution or an answer has: assigning one is rewriting either.
OWN_COLUMNS = {
    "status_reason",
    "raw_input",
    "receipt_code",
    "assisted_by",
    "submitted_at",
    "fingerprint",
    "external_id",
}


def _modules() -> dict[str, ast.Module]:
    found = {}
    for package in ("gateway", "mediation"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


MODULES = _modules()


def _imports(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name in MODULES}


def _channel(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "gateway" and parts[1] in CHANNELS else None


GRAPH = {module: _imports(tree) - {module} for module, tree in MODULES.items()}


def test_no_channel_imports_another() -> None:
    crossing = [
        f"{module} -> {dep}"
        for module, deps in GRAPH.items()
        for dep in deps
        if _channel(module) and _channel(dep) and _channel(module) != _channel(dep)
    ]
    assert crossing == []


def test_the_core_imports_no_channel() -> None:
    # The registry and the table list are the only places that name every channel.
    wiring = {"gateway.channels", "gateway.models", "gateway.app", "gateway.cli"}
    core = [m for m in GRAPH if not _channel(m) and m not in wiring and m != "gateway.worker"]
    leaks = [f"{m} -> {d}" for m in core for d in GRAPH[m] if _channel(d)]
    assert leaks == []


def test_no_import_cycles() -> None:
    cycles: list[str] = []
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for dep in sorted(GRAPH[module]):
            if state.get(dep) == 1:
                cycles.append(" -> ".join([*path[path.index(dep) :], dep]))
            elif dep not in state:
                visit(dep, [*path, dep])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def _writes(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            found += _written_by_call(node)
        elif isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found += [f".{name} = ..." for name in _assigned_attributes(targets)]
    return found


def _written_by_call(node: ast.Call) -> list[str]:
    name = node.func.id if isinstance(node.func, ast.Name) else None
    if name in ("Contribution", "Answer"):
        return [f"{name}(...)"]
    if name not in WRITE_CALLS:
        return []
    args = node.args[1:] if name.startswith("insert_or") else node.args[:1]
    tables = [a.id for a in args if isinstance(a, ast.Name)]
    return [f"{name}({t})" for t in tables if t in ("Contribution", "Answer")]


def _assigned_attributes(targets: list[ast.expr]) -> list[str]:
    names = []
    for target in targets:
        parts = target.elts if isinstance(target, ast.Tuple) else [target]
        names += [p.attr for p in parts if isinstance(p, ast.Attribute)]
    return [name for name in names if name in OWN_COLUMNS]


def test_only_the_contributions_core_writes_contributions() -> None:
    writers = {m: _writes(tree) for m, tree in MODULES.items() if m not in WRITERS}
    assert {m: w for m, w in writers.items() if w} == {}


def test_the_writers_are_modules_the_check_sees_writing() -> None:
    # A renamed writer or a blind check would let the rule above pass on nothing.
    assert WRITERS - MODULES.keys() == set()
    core = {m for m in WRITERS if m.startswith("gateway.contributions.")}
    assert {m for m in core if _writes(MODULES[m])} == core
    assert _writes(ast.parse("answer.value, answer.status_reason = v, r")) == [
        ".status_reason = ..."
    ]
