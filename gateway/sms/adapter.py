"""The SMS channel as the platform sees it."""

from __future__ import annotations

from datetime import timedelta

from gateway.adapter import Check
from gateway.config import Settings
from gateway.jobs import JobSpec
from gateway.runtime import Runtime
from gateway.sms import models, outbound, tasks
from gateway.sms.cli import app as cli
from gateway.sms.endpoints import router
from gateway.store.models import Channel


class SmsAdapter:
    channel = Channel.SMS
    router = router
    cli = cli
    models = (models.SmsConversation, models.SmsInbound, models.SmsOutbound, models.SmsStatusEvent)
    jobs = (
        JobSpec("sms.send_due", outbound.send_due, every=outbound.SEND_EVERY),
        JobSpec("sms.purge_numbers", tasks.purge_numbers, every=timedelta(minutes=10)),
    )

    def urls(self, base: str, settings: Settings) -> list[str]:
        lines = [f"SMS (Twilio)   {base}/sms/twilio/inbound  (status: {base}/sms/twilio/status)"]
        if settings.environment == "development":
            lines.append(f"SMS chat page  {base}/sms/simulator  (development only)")
        return lines

    def checks(self, runtime: Runtime) -> list[Check]:
        settings = runtime.settings
        public = settings.public_url
        return [
            Check(
                "Twilio auth token (webhook signatures)",
                settings.twilio_auth_token is not None,
                "set PORTEVOIX_TWILIO_AUTH_TOKEN (without it, webhooks answer 503 "
                "outside development)",
            ),
            Check(
                "public address Twilio calls",
                public.startswith("https://") or settings.environment == "development",
                f"PORTEVOIX_PUBLIC_URL is {public}: set the https address Twilio reaches",
            ),
            Check(
                "invitations (outbound SMS)",
                bool(settings.twilio_account_sid and settings.twilio_from_number),
                "set PORTEVOIX_TWILIO_ACCOUNT_SID and PORTEVOIX_TWILIO_FROM_NUMBER",
                required=False,
            ),
        ]


SMS = SmsAdapter()
