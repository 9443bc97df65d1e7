"""Static files under /static, with cache headers and versioned URLs."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from starlette.responses import Response
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
# A day, then a cheap revalidation by ETag; static_url changes the URL when a file changes.
CACHE_CONTROL = "public, max-age=86400"


class CachedStaticFiles(StaticFiles):
    """StaticFiles (ETag, Last-Modified, 304) plus a Cache-Control header."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.setdefault("Cache-Control", CACHE_CONTROL)
        return response


def static_files() -> CachedStaticFiles:
    return CachedStaticFiles(directory=STATIC_DIR)


@cache
def static_url(name: str) -> str:
    """The URL of a static file, with a digest of its content so caches see every change."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
    return f"/static/{name}?v={digest}"
