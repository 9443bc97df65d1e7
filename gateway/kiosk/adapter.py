"""The kiosk channel as the platform sees it."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.adapter import Check
from gateway.config import Settings
from gateway.jobs import JobSpec
from gateway.kiosk import endpoints, models, online, repository, tasks
from gateway.kiosk.cli import app as cli
from gateway.runtime import Runtime
from gateway.store.models import Channel

# The kiosk's pages, the staff's view of them, and the same screens online at /c/{code}.
router = APIRouter()
router.include_router(endpoints.pages)
router.include_router(endpoints.staff_router)
router.include_router(online.router)


class KioskAdapter:
    channel = Channel.KIOSK
    router = router
    cli = cli
    models = (models.Kiosk, models.KioskSession, models.OnlineCode)
    jobs = (JobSpec("kiosk.purge_sessions", tasks.purge_sessions, every=tasks.PURGE_EVERY),)

    def urls(self, base: str, settings: Settings) -> list[str]:
        return [
            f"kiosk pages    {base}/kiosk/<id>  (list: portevoix kiosk list)",
            f"online pages   {base}/c/<consultation code>",
        ]

    def checks(self, runtime: Runtime) -> list[Check]:
        with runtime.sessions() as session:
            kiosks = repository.list_kiosks(session)
        return [
            Check(
                "a registered kiosk",
                bool(kiosks),
                'register one: portevoix kiosk add NAME --place "Mairie, accueil"',
            )
        ]


KIOSK = KioskAdapter()
