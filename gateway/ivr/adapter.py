"""The phone channel (Twilio Voice) as the platform sees it."""

from __future__ import annotations

from datetime import timedelta

from gateway.adapter import Check
from gateway.config import Settings
from gateway.ivr import models, recordings, tasks
from gateway.ivr.cli import app as cli
from gateway.ivr.endpoints import router
from gateway.jobs import JobSpec
from gateway.runtime import Runtime
from gateway.speech.engines import speech_checks
from gateway.store.models import Channel


class IvrAdapter:
    channel = Channel.IVR
    router = router
    cli = cli
    models = (
        models.IvrCaller,
        models.IvrCall,
        models.IvrStep,
        models.IvrCallEvent,
        models.IvrRecording,
    )
    jobs = (
        JobSpec("ivr.transcribe", recordings.transcribe),
        JobSpec("ivr.retry_recordings", recordings.retry_due, every=timedelta(minutes=1)),
        JobSpec("ivr.forget_abandoned", tasks.forget_abandoned, every=timedelta(hours=1)),
    )

    def urls(self, base: str, settings: Settings) -> list[str]:
        status = f"{base}/ivr/twilio/status"
        return [f"Phone (Twilio Voice)  {base}/ivr/twilio/voice  (call status: {status})"]

    def checks(self, runtime: Runtime) -> list[Check]:
        settings = runtime.settings
        return [
            Check(
                "Twilio auth token (webhook signatures)",
                settings.twilio_auth_token is not None,
                "set PORTEVOIX_TWILIO_AUTH_TOKEN (without it, webhooks answer 503 "
                "outside development)",
            ),
            Check(
                "recordings can be fetched",
                bool(settings.twilio_account_sid),
                "set PORTEVOIX_TWILIO_ACCOUNT_SID: Twilio asks for it to hand over recordings",
            ),
            Check(
                "médiateur number for key 0",
                bool(settings.ivr_mediator_number),
                "set PORTEVOIX_IVR_MEDIATOR_NUMBER (E.164) so callers can reach a person",
                required=False,
            ),
            *speech_checks(settings),
        ]


IVR = IvrAdapter()
