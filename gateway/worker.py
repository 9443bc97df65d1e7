"""Celery entry point: `celery -A gateway.worker worker` runs jobs at scale."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from celery import Celery

from gateway import channels
from gateway.config import get_settings
from gateway.jobs import run_job
from gateway.runtime import Runtime


def make_celery(redis_url: str) -> Any:
    app = Celery("portevoix", broker=redis_url)
    app.conf.update(
        task_acks_late=True, worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True
    )

    @app.task(name="portevoix.run_job")  # type: ignore[untyped-decorator]
    def run_job_task(job_id: int) -> str | None:
        status = run_job(_worker_runtime(), job_id)
        return status.value if status else None

    return app


@lru_cache
def _worker_runtime() -> Runtime:
    return channels.build_runtime(get_settings())


@lru_cache
def _app_from_settings() -> Any:
    return make_celery(get_settings().redis_url)


def __getattr__(name: str) -> Any:
    """`celery -A gateway.worker` asks for `app`: built then, never at import."""
    if name == "app":
        return _app_from_settings()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
