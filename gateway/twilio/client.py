"""The Twilio REST client, pointed at the configured API address."""

from __future__ import annotations

from twilio.rest import Client

from gateway.config import Settings
from gateway.errors import PortevoixError


def rest_client(settings: Settings) -> Client:
    """A client for the account in the settings; tests point it at the local stand-in."""
    token = settings.twilio_auth_token
    if not settings.twilio_account_sid or token is None:
        raise PortevoixError(
            "Twilio needs PORTEVOIX_TWILIO_ACCOUNT_SID and PORTEVOIX_TWILIO_AUTH_TOKEN"
        )
    client = Client(settings.twilio_account_sid, token.get_secret_value())
    client.api.base_url = settings.twilio_api_url
    return client
