"""TwiML replies, built with the twilio package's own writers."""

from __future__ import annotations

from dataclasses import dataclass

from twilio.twiml import TwiML
from twilio.twiml.messaging_response import MessagingResponse

MEDIA_TYPE = "application/xml"
# The language Twilio's text-to-speech is told, per catalogue language.
SPEECH_LANGUAGES = {"fr": "fr-FR", "en": "en-GB"}
NORMAL_RATE = "100%"


def messages(replies: list[str]) -> str:
    """A <Response> holding one <Message> per reply (none: an empty response)."""
    response = MessagingResponse()
    for text in replies:
        response.message(text)
    return str(response)


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
