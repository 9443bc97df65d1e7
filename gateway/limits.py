"""Refuse request bodies over a size limit before anything reads them whole.

Staff upload endpoints (paths under /staff/ ending in /upload: a batch of scans)
get a larger limit of their own; everything else gets the ordinary one.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """An HTTP 413, so that the JSON and form readers pass it on instead of a 400."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body over {max_bytes} bytes")


class BodySizeLimit:
    """ASGI middleware: 413 when a body is over `max_bytes`, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload_bytes if is_upload(scope["path"]) else self.max_bytes
        if _declared_over(scope, limit):
            await _too_large(send, limit)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                # Raised inside the app, whose exception handler turns it into the 413.
                raise BodyTooLarge(limit)
            return message

        await self.app(scope, counting_receive, send)


def is_upload(path: str) -> bool:
    return path.startswith("/staff/") and path.endswith("/upload")


def _declared_over(scope: Scope, max_bytes: int) -> bool:
    declared = dict(scope["headers"]).get(b"content-length")
    if declared is None or not declared.isdigit():
        return False
    digits = declared.lstrip(b"0")
    # int() of thousands of digits raises; such a length is over any limit anyway.
    return len(digits) > len(str(max_bytes)) or int(digits or b"0") > max_bytes


async def _too_large(send: Send, max_bytes: int) -> None:
    body = f'{{"detail":"request body over {max_bytes} bytes"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
