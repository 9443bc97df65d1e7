"""create_app(): the FastAPI application with the routers of enabled channels."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy import text
from starlette.exceptions import HTTPException

from gateway import channels
from gateway.config import Settings, get_settings
from gateway.http import request_threads, validation_failed
from gateway.i18n import load_catalogues
from gateway.jobs import Scheduler, redispatch_pending
from gateway.limits import BodySizeLimit
from gateway.results.endpoints import router as results_router
from gateway.runtime import Runtime
from gateway.staff.endpoints import router as staff_router
from gateway.store.session import open_connections
from gateway.web import home
from gateway.web.static import static_files
from mediation.endpoints import router as mediation_router

# Threads for the endpoints that block (every one that reads the store). Python runs
# one thread at a time and SQLite one writer: past a few threads, more only contend for
# the GIL and the pool (anyio's default is 40). Twice the cores, so that PostgreSQL
# round trips overlap; `python -m bench.sms` ran about 10% more messages a second with
# 4 than with 8, on both databases (2 cores). As many again run `run_blocking` (the
# inbound SMS). `gateway.store.session` sizes the pool.
REQUEST_THREADS = 4


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or (runtime.settings if runtime else get_settings())
    owns_runtime = runtime is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        threads = request_threads(REQUEST_THREADS)
        app.state.runtime = runtime or channels.build_runtime(settings)
        redispatch_pending(app.state.runtime)
        # Ready before the first request, rather than making it wait: the catalogues
        # compiled, a connection open for each request thread.
        load_catalogues()
        open_connections(app.state.runtime.engine, REQUEST_THREADS + 1)
        scheduler = Scheduler(app.state.runtime)
        # What start-up built (modules, definitions, the runtime) lives as long as the
        # app: kept out of the collector's full passes, which no longer walk it.
        gc.freeze()
        if owns_runtime:
            scheduler.start()
        yield
        gc.unfreeze()
        threads.shutdown(wait=False)
        if owns_runtime:
            scheduler.stop()
            app.state.runtime.close()

    docs = settings.api_docs_enabled
    app = FastAPI(
        title="Porte-voix",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/openapi.json" if docs else None,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
    )
    if runtime is not None:
        app.state.runtime = runtime
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_exception_handler(RequestValidationError, validation_failed)
    app.add_exception_handler(HTTPException, home.not_found)
    for adapter in channels.enabled(settings):
        if adapter.router is not None:
            app.include_router(adapter.router)
    app.include_router(staff_router)
    app.include_router(results_router)
    app.include_router(mediation_router)
    app.include_router(home.router)
    app.mount("/static", static_files(), name="static")

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        with app.state.runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app
