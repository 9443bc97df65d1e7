"""SMS replies are written as the twilio package's own TwiML writer writes them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twilio.twiml.messaging_response import MessagingResponse

from gateway.twilio import twiml

# What a reply can hold once the text boundary has cleaned it: no surrogates.
REPLY = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


def _written_by_twilio(replies: list[str]) -> str:
    response = MessagingResponse()
    for text in replies:
        response.message(text)
    return str(response)


@given(st.lists(REPLY, max_size=4))
def test_replies_are_the_bytes_twilio_writes(replies: list[str]) -> None:
    assert twiml.messages(replies) == _written_by_twilio(replies)


def test_markup_in_a_reply_is_text() -> None:
    written = twiml.messages(["1 < 2 & 3 > 2 </Message>"])
    assert "<Message>1 &lt; 2 &amp; 3 &gt; 2 &lt;/Message&gt;</Message>" in written
