"""A phone that calls the line: each step is a signed Twilio Voice webhook."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from xml.etree import ElementTree

from fastapi.testclient import TestClient

from tests.sms.twilio import PUBLIC_URL, post_signed, recorded

VOICE = "/ivr/twilio/voice"
STATUS = "/ivr/twilio/status"
RECORDING_STATUS = "/ivr/twilio/recording-status"
_sids = itertools.count(1)


def new_call_sid() -> str:
    return f"CA{next(_sids):032x}"


@dataclass
class Heard:
    """One TwiML reply: what was said, and where the next step goes."""

    twiml: str
    said: list[str] = field(default_factory=list)
    action: str | None = None
    record_action: str | None = None
    dialled: str | None = None
    hung_up: bool = False
    # Whether the last Gather takes speech as well as keys.
    listens: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.said)


def hear(twiml: str) -> Heard:
    root = ElementTree.fromstring(twiml)
    assert root.tag == "Response"
    heard = Heard(twiml)
    for node in root.iter():
        if node.tag == "Say":
            heard.said.append("".join(node.itertext()).strip())
        elif node.tag == "Gather":
            heard.action = node.get("action")
            heard.listens = "speech" in (node.get("input") or "")
        elif node.tag == "Record":
            heard.record_action = node.get("action")
        elif node.tag == "Dial":
            heard.dialled = node.text
        elif node.tag == "Redirect":
            heard.action = node.text
        elif node.tag == "Hangup":
            heard.hung_up = True
    return heard


@dataclass
class Call:
    """One call from `number`; `press` answers the last Gather, `hang_up` drops the line."""

    client: TestClient
    number: str = "+33612345678"
    sid: str = field(default_factory=new_call_sid)
    last: Heard | None = None

    def dial(self) -> Heard:
        form = recorded(
            "voice-incoming.form", CallSid=self.sid, From=self.number, Caller=self.number
        )
        return self._post(VOICE, form)

    def press(self, digits: str) -> Heard:
        """Press keys at the last Gather (or during a short <Record>, which a key ends);
        "" is silence until the timeout."""
        assert self.last is not None, self.last
        action = self.last.action or self.last.record_action
        assert action, self.last
        form = recorded("voice-gather.form", CallSid=self.sid, From=self.number, Digits=digits)
        return self._post(_path(action), form)

    def say(self, speech: str, confidence: float) -> Heard:
        """Answer the last Gather aloud: what Twilio's recogniser heard, and how sure."""
        assert self.last is not None and self.last.action and self.last.listens, self.last
        form = recorded("voice-gather-speech.form", CallSid=self.sid, From=self.number,
                        SpeechResult=speech, Confidence=str(confidence))  # fmt: skip
        return self._post(_path(self.last.action), form)

    def speak(self, recording_sid: str, url: str) -> Heard:
        """Answer the last short <Record> aloud, ending on silence (no key)."""
        assert self.last is not None and self.last.record_action, self.last
        form = recorded(
            "voice-record.form", CallSid=self.sid, From=self.number,
            RecordingSid=recording_sid, RecordingUrl=url, RecordingDuration="2",
        )  # fmt: skip
        del form["Digits"]
        return self._post(_path(self.last.record_action), form)

    def follow(self) -> Heard:
        """Follow a <Redirect> (after a transfer), as Twilio does."""
        assert self.last is not None and self.last.action
        form = recorded("voice-gather.form", CallSid=self.sid, From=self.number)
        del form["Digits"]
        return self._post(_path(self.last.action), form)

    def record(self, recording_sid: str, seconds: int = 7) -> Heard:
        assert self.last is not None and self.last.record_action, self.last
        form = recorded(
            "voice-record.form",
            CallSid=self.sid,
            From=self.number,
            RecordingSid=recording_sid,
            RecordingDuration=str(seconds),
            RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/{recording_sid}",
        )
        return self._post(_path(self.last.record_action), form)

    def hang_up(self) -> None:
        form = recorded("call-status-completed.form", CallSid=self.sid, From=self.number)
        response = post_signed(self.client, STATUS, form)
        assert response.status_code == 204, response.text

    def _post(self, path: str, form: dict[str, str]) -> Heard:
        response = post_signed(self.client, path, form)
        assert response.status_code == 200, response.text
        self.last = hear(response.text)
        return self.last


def _path(url: str) -> str:
    assert url.startswith(PUBLIC_URL), url
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
