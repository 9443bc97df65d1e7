"""Jobs: plain functions named `domain.verb`, dispatched after the commit.

The `job` row is the truth. A job is enqueued inside the transaction that
creates its work; it is handed to a dispatcher only once that transaction
commits, and jobs left pending by a crash are dispatched again at start-up.
Which jobs a process knows is passed in (a `JobRegistry` built from the core's
and the enabled channels' lists), never filled by importing a module.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from celery import Celery
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway.config import Settings
from gateway.store.base import as_utc, utcnow
from gateway.store.models import Job, JobStatus

log = logging.getLogger(__name__)

JobFunction = Callable[..., None]
_PENDING_KEY = "portevoix.jobs_to_dispatch"
# Where a runtime's sessions carry its job registry, so `enqueue` can check names.
JOBS_KEY = "portevoix.jobs"


@dataclass(frozen=True)
class JobSpec:
    """A job's `domain.verb` name, its function (called as fn(runtime, **args)) and,
    for housekeeping, how often the serving process enqueues it without arguments."""

    name: str
    run: JobFunction
    every: timedelta | None = None

    def __post_init__(self) -> None:
        if self.name.count(".") != 1:
            raise ValueError(f"job names are domain.verb, not {self.name!r}")


class JobRegistry:
    """The jobs one process knows: the core's and those of its enabled channels."""

    def __init__(self, specs: Iterable[JobSpec]) -> None:
        self._specs: dict[str, JobSpec] = {}
        for spec in specs:
            if spec.name in self._specs:
                raise ValueError(f"two jobs are named {spec.name!r}")
            self._specs[spec.name] = spec

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def get(self, name: str) -> JobSpec:
        if name not in self._specs:
            raise KeyError(f"unknown job {name!r} (is its channel enabled?)")
        return self._specs[name]

    def periodic(self) -> list[JobSpec]:
        return [spec for spec in self._specs.values() if spec.every is not None]


class Dispatcher(Protocol):
    """Hands a committed job id to something that will run it.

    Implementations must not run the job inside the caller's transaction: the
    job opens its own session and claims its row, so dispatching the same id
    twice is harmless.
    """

    def dispatch(self, job_id: int) -> None: ...

    def shutdown(self) -> None: ...


class JobHost(Protocol):
    """What running jobs needs of a process: settings, sessions, jobs and a dispatcher.

    `gateway.runtime.Runtime` is the one implementation; job functions get it whole.
    """

    settings: Settings
    sessions: sessionmaker[Session]
    jobs: JobRegistry
    dispatcher: Dispatcher


def enqueue(session: Session, name: str, **args: Any) -> Job:
    """Add a pending job in the caller's transaction; it is dispatched after the commit."""
    jobs: JobRegistry | None = session.info.get(JOBS_KEY)
    if jobs is None or name not in jobs:
        raise KeyError(f"unknown job {name!r}")
    row = Job(name=name, args=args, status=JobStatus.PENDING)
    session.add(row)
    session.flush()
    session.info.setdefault(_PENDING_KEY, []).append(row.id)
    return row


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    job_ids = session.info.pop(_PENDING_KEY, [])
    dispatcher = session.info.get("dispatcher")
    if dispatcher is None:
        return
    for job_id in job_ids:
        dispatcher.dispatch(job_id)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def run_job(runtime: JobHost, job_id: int) -> JobStatus | None:
    """Claim a pending job, run it, record the outcome; None if another took it."""
    if not _claim(runtime.sessions, job_id):
        return None
    with runtime.sessions() as session:
        row = session.get_one(Job, job_id)
        name, args = row.name, dict(row.args)
    try:
        runtime.jobs.get(name).run(runtime, **args)
    except Exception:
        log.exception("job %s #%s failed", name, job_id)
        _finish(runtime.sessions, job_id, JobStatus.FAILED, traceback.format_exc(limit=5))
        return JobStatus.FAILED
    _finish(runtime.sessions, job_id, JobStatus.DONE, None)
    return JobStatus.DONE


def _claim(sessions: sessionmaker[Session], job_id: int) -> bool:
    with sessions() as session, session.begin():
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.PENDING)
            .values(status=JobStatus.RUNNING, attempts=Job.attempts + 1, ran_on=_where_am_i())
        )
        return bool(claimed.rowcount)  # type: ignore[attr-defined]


def _finish(
    sessions: sessionmaker[Session], job_id: int, status: JobStatus, error: str | None
) -> None:
    with sessions() as session, session.begin():
        session.execute(update(Job).where(Job.id == job_id).values(status=status, error=error))


def _where_am_i() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def redispatch_pending(runtime: JobHost) -> int:
    """Give back to the dispatcher every job a crash left pending (or running, in process).

    In embedded mode this process is the only runner, so a job still marked running
    was interrupted by a crash. With Celery other machines may be running it now, so
    running jobs are left alone (one whose worker died stays visible as running).
    """
    with runtime.sessions() as session, session.begin():
        if runtime.settings.jobs == "inprocess":
            session.execute(
                update(Job).where(Job.status == JobStatus.RUNNING).values(status=JobStatus.PENDING)
            )
        job_ids = list(session.scalars(select(Job.id).where(Job.status == JobStatus.PENDING)))
    for job_id in job_ids:
        runtime.dispatcher.dispatch(job_id)
    return len(job_ids)


def enqueue_due(runtime: JobHost) -> list[str]:
    """Enqueue each periodic job whose last run is older than its interval."""
    due = []
    with runtime.sessions() as session, session.begin():
        for spec in runtime.jobs.periodic():
            last = session.scalar(select(func.max(Job.created_at)).where(Job.name == spec.name))
            if last is None or as_utc(last) <= utcnow() - (spec.every or timedelta()):
                enqueue(session, spec.name)
                due.append(spec.name)
    return due


class Scheduler:
    """A thread of the serving process that enqueues periodic jobs when due."""

    def __init__(self, runtime: JobHost, tick_seconds: float = 60.0) -> None:
        self._runtime = runtime
        self._tick = tick_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                enqueue_due(self._runtime)
            except Exception:
                log.exception("could not enqueue periodic jobs")
            self._stop.wait(self._tick)


class InProcessDispatcher:
    """Runs jobs on worker threads inside the serving process (embedded mode)."""

    def __init__(self, runtime_factory: Callable[[], JobHost], workers: int) -> None:
        self._runtime = runtime_factory
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")

    def dispatch(self, job_id: int) -> None:
        self._pool.submit(run_job, self._runtime(), job_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


class CeleryDispatcher:
    """Sends job ids to Celery workers through the Redis broker."""

    def __init__(self, redis_url: str) -> None:
        # Sends by task name only: the task is defined where workers run (gateway.worker).
        self._celery = Celery("portevoix", broker=redis_url)

    def dispatch(self, job_id: int) -> None:
        self._celery.send_task("portevoix.run_job", args=[job_id])

    def shutdown(self) -> None:
        self._celery.close()


class NullDispatcher:
    """Leaves jobs pending; used by one-shot CLI commands that do not serve."""

    def dispatch(self, job_id: int) -> None:
        log.debug("job %s left pending for the next serve", job_id)

    def shutdown(self) -> None:
        return None
