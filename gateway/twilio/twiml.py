"""TwiML replies, built with the twilio package's own writers."""

from __future__ import annotations

from twilio.twiml.messaging_response import MessagingResponse

MEDIA_TYPE = "application/xml"


def messages(replies: list[str]) -> str:
    """A <Response> holding one <Message> per reply (none: an empty response)."""
    response = MessagingResponse()
    for text in replies:
        response.message(text)
    return str(response)
