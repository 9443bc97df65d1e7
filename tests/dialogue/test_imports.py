"""The dialogue is shared by every channel, so it imports none of them."""

from __future__ import annotations

import ast
from pathlib import Path

import gateway.dialogue

CHANNELS = ("gateway.sms", "gateway.online", "gateway.ivr", "gateway.kiosk", "gateway.paper_ocr")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_dialogue_imports_no_channel() -> None:
    package = Path(gateway.dialogue.__file__).parent
    modules = sorted(package.rglob("*.py"))
    assert modules
    for module in modules:
        bad = {name for name in _imports(module) if name.startswith(CHANNELS)}
        assert not bad, f"{module.name} imports {sorted(bad)}"
