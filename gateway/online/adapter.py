"""The online channel (JSON API for residents' platforms) as the platform sees it."""

from __future__ import annotations

from gateway.adapter import Check
from gateway.config import Settings
from gateway.online import tokens
from gateway.online.endpoints import router
from gateway.runtime import Runtime
from gateway.store.models import ApiToken, Channel


class OnlineAdapter:
    channel = Channel.ONLINE
    router = router
    cli = None
    models = (ApiToken,)
    jobs = ()

    def urls(self, base: str, settings: Settings) -> list[str]:
        return [f"online API     {base}/api/v1/consultations  (docs: {base}/docs)"]

    def checks(self, runtime: Runtime) -> list[Check]:
        with runtime.sessions() as session:
            active = tokens.active_count(session)
        return [
            Check(
                "an API token for a platform to post with",
                active > 0,
                "create one: portevoix tokens create NAME",
            )
        ]


ONLINE = OnlineAdapter()
