"""FastAPI dependencies shared by the channels: runtime, session, door policy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from fastapi import Request
from sqlalchemy.orm import Session

from gateway.contributions.intake import DoorPolicy
from gateway.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; the endpoint commits once, anything else rolls back."""
    with get_runtime(request).sessions() as session:
        yield session


def door_policy(runtime: Runtime) -> DoorPolicy:
    settings = runtime.settings
    return DoorPolicy(
        review_confidence_threshold=settings.review_confidence_threshold,
        evidence_retention=timedelta(days=settings.evidence_retention_days),
        evidence=runtime.evidence,
    )
