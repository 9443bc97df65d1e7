"""What a running process holds: settings, database, evidence store, dispatcher."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.config import Settings
from gateway.evidence import EvidenceStore
from gateway.jobs import CeleryDispatcher, Dispatcher, InProcessDispatcher, NullDispatcher
from gateway.store.session import make_engine, make_sessionmaker


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    evidence: EvidenceStore
    dispatcher: Dispatcher = field(default_factory=NullDispatcher)

    def close(self) -> None:
        self.dispatcher.shutdown()
        self.engine.dispose()


def build_runtime(settings: Settings, dispatch: bool = True) -> Runtime:
    """Wire a runtime; with dispatch=False jobs stay pending (one-shot commands)."""
    from gateway import tasks  # noqa: F401  (registers every job; imports this module)

    engine = make_engine(settings.sqlalchemy_url)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        evidence=EvidenceStore(settings.evidence_dir, settings.evidence_max_bytes),
    )
    if dispatch:
        runtime.dispatcher = _make_dispatcher(runtime)
    runtime.sessions.configure(info={"dispatcher": runtime.dispatcher})
    return runtime


def _make_dispatcher(runtime: Runtime) -> Dispatcher:
    if runtime.settings.jobs == "celery":
        return CeleryDispatcher(runtime.settings.redis_url)
    return InProcessDispatcher(lambda: runtime, runtime.settings.job_workers)
