"""Twilio, shared by every channel that speaks through it (SMS, voice).

`signature` checks webhooks, `client` builds the REST client, `twiml` writes
replies, and `standin` is a local HTTP stand-in for Twilio's REST API that the
tests (and a developer without an account) point the real client at.
"""
