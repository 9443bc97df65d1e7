"""Jobs: dispatched after commit, never lost by a crash, claimed once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.channels import build_runtime
from gateway.jobs import (
    InProcessDispatcher,
    JobRegistry,
    JobSpec,
    enqueue,
    enqueue_due,
    redispatch_pending,
    run_job,
)
from gateway.runtime import Runtime
from gateway.store.models import Job, JobStatus
from tests.conftest import make_settings

CALLS: list[int] = []
SIGNALLED = threading.Event()


def record_call(runtime: Runtime, n: int) -> None:
    CALLS.append(n)


def explode(runtime: Runtime) -> None:
    raise RuntimeError("boom")


TEST_JOBS = (
    JobSpec("test.record_call", record_call),
    JobSpec("test.explode", explode),
    JobSpec("test.signal", lambda runtime: SIGNALLED.set()),
)


@pytest.fixture
def runtime(tmp_path: Path, db_url: str) -> Iterator[Runtime]:
    """The suite's runtime, knowing this module's jobs besides the platform's."""
    with build_runtime(make_settings(tmp_path, db_url), dispatch=False, extra_jobs=TEST_JOBS) as rt:
        yield rt


class Recorder:
    """A dispatcher that only remembers what it was given."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def dispatch(self, job_id: int) -> None:
        self.ids.append(job_id)

    def shutdown(self) -> None:
        return None


@pytest.fixture
def recorder(runtime: Runtime) -> Iterator[Recorder]:
    recorder = Recorder()
    runtime.use_dispatcher(recorder)
    CALLS.clear()
    yield recorder


def _status(runtime: Runtime, job_id: int) -> str:
    with runtime.sessions() as session:
        return session.get_one(Job, job_id).status


def test_dispatched_only_after_commit(runtime: Runtime, recorder: Recorder) -> None:
    with runtime.sessions() as session:
        row = enqueue(session, "test.record_call", n=1)
        session.flush()
        assert recorder.ids == []
        session.commit()
    assert recorder.ids == [row.id]


def test_rolled_back_job_is_never_dispatched(runtime: Runtime, recorder: Recorder) -> None:
    with runtime.sessions() as session:
        enqueue(session, "test.record_call", n=1)
        session.rollback()
        session.commit()
    assert recorder.ids == []
    with runtime.sessions() as session:
        assert session.scalars(select(Job)).all() == []


def test_run_job_marks_done_and_runs_once(runtime: Runtime, recorder: Recorder) -> None:
    with runtime.sessions() as session, session.begin():
        job_id = enqueue(session, "test.record_call", n=7).id
    assert run_job(runtime, job_id) == JobStatus.DONE
    assert run_job(runtime, job_id) is None  # already claimed
    assert CALLS == [7]
    assert _status(runtime, job_id) == "done"


def test_failure_is_recorded(runtime: Runtime, recorder: Recorder) -> None:
    with runtime.sessions() as session, session.begin():
        job_id = enqueue(session, "test.explode").id
    assert run_job(runtime, job_id) == JobStatus.FAILED
    with runtime.sessions() as session:
        row = session.get_one(Job, job_id)
        assert row.status == "failed" and "boom" in (row.error or "")


def test_pending_work_is_dispatched_again_after_a_crash(
    runtime: Runtime, recorder: Recorder
) -> None:
    with runtime.sessions() as session, session.begin():
        waiting = enqueue(session, "test.record_call", n=1).id
        interrupted = enqueue(session, "test.record_call", n=2)
        interrupted.status = JobStatus.RUNNING  # the process died while running it
        finished = enqueue(session, "test.record_call", n=3)
        finished.status = JobStatus.DONE
    recorder.ids.clear()
    assert redispatch_pending(runtime) == 2
    assert sorted(recorder.ids) == sorted([waiting, interrupted.id])


def test_in_process_workers_run_jobs(runtime: Runtime) -> None:
    SIGNALLED.clear()
    dispatcher = InProcessDispatcher(lambda: runtime, workers=2)
    runtime.use_dispatcher(dispatcher)
    try:
        with runtime.sessions() as session, session.begin():
            job_id = enqueue(session, "test.signal").id
        assert SIGNALLED.wait(timeout=30)
    finally:
        dispatcher.shutdown()
    assert _status(runtime, job_id) == "done"


def test_job_names_are_domain_verb() -> None:
    with pytest.raises(ValueError, match=r"domain\.verb"):
        JobSpec("nodots", record_call)


def test_unknown_jobs_are_refused(runtime: Runtime) -> None:
    with runtime.sessions() as session, pytest.raises(KeyError, match="unknown job"):
        enqueue(session, "test.nowhere")
    with pytest.raises(ValueError, match="two jobs"):
        JobRegistry([*TEST_JOBS, JobSpec("test.explode", record_call)])


def test_periodic_jobs_are_enqueued_once_per_interval(runtime: Runtime, recorder: Recorder) -> None:
    assert "evidence.purge_expired" in enqueue_due(runtime)
    assert "evidence.purge_expired" not in enqueue_due(runtime)
    assert len(recorder.ids) >= 1
