"""TwiML replies, built with the twilio package's own writers (SMS replies written alike)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from twilio.twiml import TwiML

MEDIA_TYPE = "application/xml"
# The language Twilio's text-to-speech is told, per catalogue language.
SPEECH_LANGUAGES = {"fr": "fr-FR", "en": "en-GB"}
NORMAL_RATE = "100%"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def messages(replies: list[str]) -> str:
    """A <Response> holding one <Message> per reply (none: an empty response).

    Written directly, as `MessagingResponse` writes it byte for byte (a test holds them
    equal): building its element tree costs more than the rest of a message's reply.
    """
    if not replies:
        return f"{_DECLARATION}<Response />"
    body = "".join(
        f"<Message>{escape(text)}</Message>" if text else "<Message />" for text in replies
    )
    return f"{_DECLARATION}<Response>{body}</Response>"


@dataclass(frozen=True)
class Voice:
    """How the line speaks: a catalogue language, a Twilio voice, a speaking rate."""

    language: str
    name: str
    rate: str = NORMAL_RATE

    @property
    def speech_language(self) -> str:
        return SPEECH_LANGUAGES.get(self.language, "fr-FR")


def say(parent: TwiML, text: str, voice: Voice) -> None:
    """Add a <Say> in `voice`; a slower rate is SSML prosody, which Twilio's voices honour."""
    if voice.rate == NORMAL_RATE:
        parent.say(text, voice=voice.name, language=voice.speech_language)
        return
    spoken = parent.say("", voice=voice.name, language=voice.speech_language)
    spoken.prosody(text, rate=voice.rate)


def spelled(code: str) -> str:
    """`code` read one character at a time: "4A-7C" becomes "4, A, 7, C"."""
    return ", ".join(char for char in code if char.isalnum())


def digit_by_digit(number: int | str) -> str:
    """A number said digit by digit ("12" is "1, 2"), as a keypad has them."""
    return spelled(str(number))
