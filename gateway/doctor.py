"""`portevoix doctor`: is each part ready, and if not, exactly what is missing."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from gateway import channels
from gateway.adapter import ChannelAdapter, Check
from gateway.config import Settings
from gateway.runtime import Runtime
from gateway.store.migrate import alembic_config


@dataclass
class Section:
    name: str
    state: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok or not check.required for check in self.checks)


@dataclass
class DoctorReport:
    sections: list[Section]

    @property
    def ok(self) -> bool:
        return all(section.ok for section in self.sections if section.state != "disabled")

    def text(self) -> str:
        lines = []
        for section in self.sections:
            ready = (
                "" if section.state == "disabled" else (", ready" if section.ok else ", NOT READY")
            )
            lines.append(f"{section.name:<10} {section.state}{ready}")
            lines += [_line(check) for check in section.checks if not check.ok]
        return "\n".join(lines)


def _line(check: Check) -> str:
    kind = "missing" if check.required else "optional, missing"
    return f"{'':<10}   {kind}: {check.what}: {check.fix}"


def doctor_report(settings: Settings) -> DoctorReport:
    enabled = {adapter.channel for adapter in channels.enabled(settings)}
    with channels.build_runtime(settings, dispatch=False) as runtime:
        sections = [Section("store", "core", store_checks(runtime))]
        for channel, adapter in channels.ADAPTERS.items():
            if channel in enabled:
                sections.append(
                    Section(channel.value, "enabled", _channel_checks(adapter, runtime))
                )
            else:
                sections.append(Section(channel.value, "disabled"))
    return DoctorReport(sections)


def store_checks(runtime: Runtime) -> list[Check]:
    data_dir = runtime.settings.data_dir
    return [
        _schema_check(runtime),
        Check(
            f"data directory {data_dir}",
            data_dir.is_dir() and os.access(data_dir, os.W_OK),
            "run: portevoix init (or make PORTEVOIX_DATA_DIR writable)",
        ),
    ]


def _schema_check(runtime: Runtime) -> Check:
    head = ScriptDirectory.from_config(alembic_config(runtime.engine)).get_current_head()
    try:
        with runtime.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as error:
        return Check("database", False, f"cannot connect ({type(error).__name__}): check the URL")
    return Check(
        f"database schema (at {current or 'nothing'}, latest {head})",
        current == head,
        "run: portevoix init",
    )


def _channel_checks(adapter: ChannelAdapter, runtime: Runtime) -> list[Check]:
    try:
        return adapter.checks(runtime)
    except SQLAlchemyError:
        return [Check("the store", False, "the channel's checks need a ready store")]
