"""What every HTTP route shares: documented error replies, and a 422 that cannot crash."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine

from gateway.store.session import WriteTurnBusy, without_waiting
from gateway.text import escape_surrogates

T = TypeVar("T")


def request_threads(threads: int) -> ThreadPoolExecutor:
    """Threads for `run_blocking`, made the running loop's default executor (the app's
    lifespan calls this once; asyncio shuts them down with the loop)."""
    executor = ThreadPoolExecutor(threads, thread_name_prefix="portevoix-request")
    asyncio.get_running_loop().set_default_executor(executor)
    return executor


async def run_blocking(function: Callable[..., T], *args: Any) -> T:
    """Run blocking work in a request thread, for the busiest routes.

    The loop's own executor: a hop there costs about 55 µs of CPU against 90 µs through
    anyio's (`run_in_threadpool`), and every inbound SMS makes one.
    """
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


async def run_write(engine: Engine, function: Callable[..., T], *args: Any) -> T:
    """Run one short write transaction on the loop if it can begin now, else in a thread.

    `function` must run exactly one transaction on `engine`, and nothing slow besides
    (no file written, no network): on the loop it holds every other request up for
    its whole length. On SQLite, with the write turn free, this saves the thread hop
    (about a fifth of a short message's CPU time) and the wait for a thread. Anything
    that would wait (another writer, a PostgreSQL round trip) goes to a thread.
    """
    try:
        with without_waiting(engine):
            return function(*args)
    except WriteTurnBusy:
        return await run_blocking(function, *args)


ERROR_REASONS = {
    400: "The request could not be read, or a required field is missing or not plain text",
    401: "A valid API token is required",
    403: "Forbidden: a missing or wrong provider signature (webhooks), or a token not allowed "
    "to assert this kind of identity (API)",
    404: "No such consultation",
    409: "This external_id was already used for a different contribution",
    413: "The body is over PORTEVOIX_MAX_REQUEST_BYTES",
    422: "Refused, with one reason per field or per answer; nothing is stored",
    503: "The channel is not configured",
}


class ErrorOut(BaseModel):
    """A refusal: one reason, or a list of them."""

    detail: Any


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer."""
    return {code: {"model": ErrorOut, "description": ERROR_REASONS[code]} for code in codes}


async def validation_failed(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's 422, whose echoed input may hold what JSON text cannot: made printable."""
    assert isinstance(error, RequestValidationError)
    detail = printable(jsonable_encoder(error.errors()))
    return JSONResponse({"detail": detail}, status_code=422)


def printable(value: Any) -> Any:
    """JSON data with lone surrogates escaped and NaN or infinities written as text."""
    if isinstance(value, str):
        return escape_surrogates(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, list):
        return [printable(item) for item in value]
    if isinstance(value, dict):
        return {escape_surrogates(str(key)): printable(item) for key, item in value.items()}
    return value
