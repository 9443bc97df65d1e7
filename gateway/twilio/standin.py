"""A local stand-in for Twilio's REST API: the real client never leaves 127.0.0.1."""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass
class TwilioStandIn:
    account_sid: str
    auth_token: str
    url: str = ""
    sent: list[dict[str, str]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    # Call recordings by RecordingSid, served as Twilio serves them (`….wav`).
    recordings: dict[str, bytes] = field(default_factory=dict)
    # How many recording downloads fail (503) before they succeed.
    failing_downloads: int = 0

    def recording_url(self, recording_sid: str) -> str:
        return f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Recordings/{recording_sid}"


@contextmanager
def twilio_stand_in(account_sid: str, auth_token: str) -> Iterator[TwilioStandIn]:
    state = TwilioStandIn(account_sid, auth_token)
    sids = itertools.count(1)
    expected_auth = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            prefix = f"/2010-04-01/Accounts/{account_sid}/Recordings/"
            sid = self.path.removeprefix(prefix).removesuffix(".wav")
            if not self.path.startswith(prefix) or sid not in state.recordings:
                return self._answer(404, {"code": 20404, "message": "not found", "status": 404})
            if self.headers.get("Authorization") != expected_auth:
                return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
            if state.failing_downloads > 0:
                state.failing_downloads -= 1
                return self._answer(503, {"code": 20503, "message": "unavailable", "status": 503})
            audio = state.recordings[sid]
            self.send_response(200)
            self.send_header("Content-Type", "audio/x-wav")
            self.send_header("Content-Length", str(len(audio)))
            self.end_headers()
            self.wfile.write(audio)

        def do_POST(self) -> None:
            if self.path != f"/2010-04-01/Accounts/{account_sid}/Messages.json":
                return self._answer(404, {"code": 20404, "message": "not found", "status": 404})
            if self.headers.get("Authorization") != expected_auth:
                return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            if form.get("To") in state.refuse:
                # Twilio's answer for a number that replied STOP on its side.
                return self._answer(400, {"code": 21610, "message": "unsubscribed", "status": 400})
            state.sent.append(form)
            sid = f"SM{next(sids):032x}"
            self._answer(
                201,
                {
                    "sid": sid,
                    "status": "queued",
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": form.get("Body"),
                    "account_sid": account_sid,
                },
            )

        def _answer(self, code: int, payload: dict[str, object]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
