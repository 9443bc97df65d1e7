"""What a running process holds: settings, database, evidence store, jobs, dispatcher."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.config import Settings
from gateway.evidence import EvidenceStore
from gateway.jobs import (
    JOBS_KEY,
    CeleryDispatcher,
    Dispatcher,
    InProcessDispatcher,
    JobRegistry,
    NullDispatcher,
)
from gateway.store.session import make_engine, make_sessionmaker


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    evidence: EvidenceStore
    jobs: JobRegistry
    dispatcher: Dispatcher = field(default_factory=NullDispatcher)

    def close(self) -> None:
        self.dispatcher.shutdown()
        self.engine.dispose()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def use_dispatcher(self, dispatcher: Dispatcher) -> None:
        """Hand committed jobs to `dispatcher` from now on."""
        self.dispatcher = dispatcher
        self.sessions.configure(info={"dispatcher": dispatcher, JOBS_KEY: self.jobs})


def build_runtime(settings: Settings, jobs: JobRegistry, dispatch: bool = True) -> Runtime:
    """Wire a runtime; with dispatch=False jobs stay pending (one-shot commands)."""
    engine = make_engine(settings.sqlalchemy_url)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        evidence=EvidenceStore(settings.evidence_dir, settings.evidence_max_bytes),
        jobs=jobs,
    )
    runtime.use_dispatcher(_make_dispatcher(runtime) if dispatch else NullDispatcher())
    return runtime


def _make_dispatcher(runtime: Runtime) -> Dispatcher:
    if runtime.settings.jobs == "celery":
        return CeleryDispatcher(runtime.settings.redis_url)
    return InProcessDispatcher(lambda: runtime, runtime.settings.job_workers)
