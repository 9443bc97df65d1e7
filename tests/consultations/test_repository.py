"""Consultations in the store: each version is parsed once, and a new one is seen at once."""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import event

from gateway.consultations import repository as consultations
from gateway.consultations.loader import parse_definition
from gateway.runtime import Runtime
from tests.helpers import BUDGET


def _budget(title: str) -> Any:
    data = yaml.safe_load(BUDGET.read_text(encoding="utf-8"))
    return parse_definition(
        data | {"title": {"fr": title, "en": title}}, str(BUDGET), BUDGET.parent
    )


def _save(runtime: Runtime, title: str) -> None:
    with runtime.sessions() as session, session.begin():
        consultations.save_definition(session, _budget(title))


def _title(runtime: Runtime) -> str:
    with runtime.sessions() as session:
        return consultations.definition_of(consultations.get(session, "BUDGET")).title.fr


def test_a_new_version_is_read_at_the_next_read(runtime: Runtime) -> None:
    _save(runtime, "Budget 2027")
    assert _title(runtime) == "Budget 2027"
    # Loaded by any process: the copy this process parsed must not hide it.
    _save(runtime, "Budget 2028")
    assert _title(runtime) == "Budget 2028"


def test_a_known_version_is_read_without_its_json(runtime: Runtime) -> None:
    _save(runtime, "Budget 2027")
    _title(runtime)
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        assert _title(runtime) == "Budget 2027"
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)
    assert not any("consultation.definition," in s or "definition FROM" in s for s in sent)
