"""FastAPI dependencies shared by the channels: runtime, session, door policy.

The dependencies are async because FastAPI runs a plain function on a worker
thread: a request that needs the runtime and a session would hop threads four
times. Neither does any I/O on the way in, so a request now costs one hop, its
endpoint's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gateway.contributions.intake import DoorPolicy
from gateway.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    """The process's runtime, for code that holds a request."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; the endpoint commits once, anything else rolls back."""
    session = runtime_of(request).sessions()
    try:
        yield session
    finally:
        # Closing a committed session does no I/O; a rollback does, so it goes to a thread.
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


def door_policy(runtime: Runtime) -> DoorPolicy:
    settings = runtime.settings
    return DoorPolicy(
        review_confidence_threshold=settings.review_confidence_threshold,
        evidence_retention=timedelta(days=settings.evidence_retention_days),
        evidence=runtime.evidence,
    )


# The annotations every endpoint module takes its session and runtime with.
SessionDep = Annotated[Session, Depends(get_session)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
