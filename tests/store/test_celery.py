"""A real Celery worker on a real redis-server runs a real job."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from gateway.channels import build_runtime
from gateway.contributions.intake import DoorPolicy, EvidenceRef
from gateway.jobs import enqueue
from gateway.runtime import Runtime
from gateway.store.models import Job
from tests.conftest import REDIS_URL, make_settings, require_service
from tests.helpers import load_examples, make_intake, record

pytestmark = pytest.mark.celery


@pytest.fixture
def redis_url() -> str:
    url = require_service(REDIS_URL, "redis-server")
    import redis

    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def celery_runtime(tmp_path: Path, sqlite_url: str, redis_url: str) -> Iterator[Runtime]:
    settings = make_settings(tmp_path, sqlite_url, jobs="celery", redis_url=redis_url)
    runtime = build_runtime(settings)
    worker = _start_worker(settings.data_dir, sqlite_url, redis_url, tmp_path / "worker.log")
    yield runtime
    worker.terminate()
    worker.wait(timeout=30)
    runtime.close()


def _start_worker(
    data_dir: Path, db_url: str, redis_url: str, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PORTEVOIX_DATA_DIR": str(data_dir),
        "PORTEVOIX_DATABASE_URL": db_url,
        "PORTEVOIX_JOBS": "celery",
        "PORTEVOIX_REDIS_URL": redis_url,
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "gateway.worker",
        "worker",
        "--pool=solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    return subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _wait_for_job(runtime: Runtime, job_id: int, log: Path) -> Job:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with runtime.sessions() as session:
            row = session.get_one(Job, job_id)
            if row.status in ("done", "failed"):
                return row
        time.sleep(0.2)
    pytest.fail(f"the Celery worker did not run job {job_id}:\n{log.read_text()[-3000:]}")


def test_celery_worker_runs_a_job(celery_runtime: Runtime, tmp_path: Path) -> None:
    runtime = celery_runtime
    load_examples(runtime)
    blob = runtime.evidence.put(b"scan to purge", "image/png")
    ref = EvidenceRef(blob.sha256, blob.media_type, blob.size, role="scan")
    record(
        runtime,
        make_intake(evidence=[ref]),
        DoorPolicy(evidence_retention=timedelta(0), evidence=runtime.evidence),
    )
    with runtime.sessions() as session, session.begin():
        job_id = enqueue(session, "evidence.purge_expired").id
    row = _wait_for_job(runtime, job_id, tmp_path / "worker.log")
    assert row.status == "done", row.error
    assert row.ran_on is not None and not row.ran_on.endswith(f":{os.getpid()}")
    assert not runtime.evidence.path(blob.sha256).exists()


def test_importing_the_worker_module_builds_no_celery_app() -> None:
    # Settings that cannot load: an import that read them would fail.
    env = {**os.environ, "PORTEVOIX_ENVIRONMENT": "production", "PORTEVOIX_SECRET_KEY": "x"}
    done = subprocess.run(
        [sys.executable, "-c", "import gateway.worker"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
