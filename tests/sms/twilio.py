"""Recorded Twilio form bodies, signed with the real RequestValidator, and a phone to text with."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import httpx
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "twilio"
TOKEN = "test-twilio-auth-token-0123456789abcdef"
PUBLIC_URL = "https://porte-voix.mairie.example"
INBOUND = "/sms/twilio/inbound"
STATUS = "/sms/twilio/status"
_sids = itertools.count(1)


def recorded(name: str, **overrides: str) -> dict[str, str]:
    """A recorded form body with some fields replaced."""
    body = dict(parse_qsl((FIXTURES / name).read_text(), keep_blank_values=True))
    return {**body, **overrides}


def sign(path: str, form: dict[str, str], token: str = TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(PUBLIC_URL + path, form))


def post_signed(
    client: TestClient, path: str, form: dict[str, str], signature: str | None = "valid"
) -> httpx.Response:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature == "valid":
        headers["X-Twilio-Signature"] = sign(path, form)
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    return client.post(path, content=urlencode(form), headers=headers)


def new_sid() -> str:
    return f"SM{next(_sids):032x}"


@dataclass
class Phone:
    """A resident's phone: each text is a new signed webhook, replies come back as TwiML."""

    client: TestClient
    number: str = "+33612345678"
    sent: list[str] = field(default_factory=list)

    def text(self, body: str, sid: str | None = None) -> list[str]:
        form = recorded(
            "inbound-sms.form", Body=body, From=self.number, MessageSid=sid or new_sid()
        )
        response = post_signed(self.client, INBOUND, form)
        assert response.status_code == 200, response.text
        return replies(response.text)


def replies(twiml: str) -> list[str]:
    from xml.etree import ElementTree

    root = ElementTree.fromstring(twiml)
    assert root.tag == "Response"
    return [message.text or "" for message in root.findall("Message")]
