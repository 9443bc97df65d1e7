"""An SMS on SQLite: answered on the event loop when the store is free, in a thread when not.

While another process writes (a CLI import), the message waits its turn in a request
thread, and the server goes on answering everyone else.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from gateway.app import create_app
from gateway.runtime import Runtime
from tests.conftest import Clock
from tests.sms.conftest import make_sms_runtime
from tests.sms.twilio import Phone


@pytest.fixture
def sqlite_sms(tmp_path: Path, sqlite_url: str, clock: Clock) -> Iterator[Runtime]:
    runtime = make_sms_runtime(tmp_path, sqlite_url)
    yield runtime
    runtime.close()


def writing_threads(runtime: Runtime) -> set[str]:
    """The names of the threads that run the store's statements, from now on."""
    names: set[str] = set()

    def record(*_args: Any) -> None:
        names.add(threading.current_thread().name)

    event.listen(runtime.engine, "before_cursor_execute", record)
    return names


def test_a_free_store_answers_on_the_loop(sqlite_sms: Runtime) -> None:
    with TestClient(create_app(runtime=sqlite_sms)) as client:
        threads = writing_threads(sqlite_sms)
        replies = Phone(client).text("BUDGET")
    assert any("1/" in reply for reply in replies)
    assert threads and not any(name.startswith("portevoix-request") for name in threads)


def test_a_message_waits_for_another_writer_in_a_thread(sqlite_sms: Runtime) -> None:
    path = sqlite_sms.engine.url.database
    assert path
    with TestClient(create_app(runtime=sqlite_sms)) as client:
        phone = Phone(client)
        threads = writing_threads(sqlite_sms)
        replies: list[list[str]] = []
        with closing(sqlite3.connect(path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            texting = threading.Thread(target=lambda: replies.append(phone.text("BUDGET")))
            texting.start()
            time.sleep(0.3)
            # The message waits; pages that need no write are still served.
            assert not replies
            started = time.monotonic()
            assert client.get("/openapi.json").status_code == 200
            assert time.monotonic() - started < 1
            other.execute("COMMIT")
        texting.join(10)
    assert len(replies) == 1 and any("1/" in reply for reply in replies[0])
    assert any(name.startswith("portevoix-request") for name in threads)
