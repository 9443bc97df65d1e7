"""The server is ready when it starts: the first resident served does not wait for it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.pool import QueuePool

from gateway.app import REQUEST_THREADS, create_app
from gateway.i18n import languages, translations
from gateway.runtime import Runtime


def test_catalogues_are_compiled_and_connections_opened_at_start(runtime: Runtime) -> None:
    translations.cache_clear()
    pool = runtime.engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedin() < REQUEST_THREADS + 1
    with TestClient(create_app(runtime=runtime)):
        assert translations.cache_info().currsize == len(languages())
        # One for each request thread, and one for the event loop (SQLite writes there).
        assert pool.checkedin() >= REQUEST_THREADS + 1
