"""The channel registry: one explicit map, filtered by PORTEVOIX_CHANNELS.

The app factory, the `portevoix` command, the migrations environment and the
job registry all read `ADAPTERS`. Adding a channel is a folder exposing one
adapter (see `gateway.adapter.ChannelAdapter`) and one line here.
"""

from __future__ import annotations

from gateway.adapter import ChannelAdapter
from gateway.config import Settings
from gateway.errors import PortevoixError
from gateway.ivr.adapter import IVR
from gateway.jobs import JobRegistry, JobSpec
from gateway.kiosk.adapter import KIOSK
from gateway.online.adapter import ONLINE
from gateway.paper_ocr.adapter import PAPER
from gateway.runtime import Runtime
from gateway.runtime import build_runtime as wire_runtime
from gateway.sms.adapter import SMS
from gateway.store.models import Channel
from gateway.tasks import CORE_JOBS

ADAPTERS: dict[Channel, ChannelAdapter] = {
    Channel.ONLINE: ONLINE,
    Channel.SMS: SMS,
    Channel.IVR: IVR,
    Channel.KIOSK: KIOSK,
    Channel.PAPER: PAPER,
}


def enabled(settings: Settings) -> list[ChannelAdapter]:
    """The adapters PORTEVOIX_CHANNELS names (all when unset); unknown names are refused."""
    if settings.channels is None:
        return list(ADAPTERS.values())
    known = {channel.value: adapter for channel, adapter in ADAPTERS.items()}
    unknown = [name for name in settings.channels if name not in known]
    if unknown:
        raise PortevoixError(
            f"PORTEVOIX_CHANNELS: unknown channel {', '.join(map(repr, unknown))}; "
            f"known channels: {', '.join(known)}"
        )
    return [known[name] for name in settings.channels]


def job_registry(settings: Settings, extra: tuple[JobSpec, ...] = ()) -> JobRegistry:
    """The core's jobs and those of the enabled channels."""
    channel_jobs = [spec for adapter in enabled(settings) for spec in adapter.jobs]
    return JobRegistry([*CORE_JOBS, *channel_jobs, *extra])


def build_runtime(
    settings: Settings, dispatch: bool = True, extra_jobs: tuple[JobSpec, ...] = ()
) -> Runtime:
    """A runtime that knows the jobs of the core and of every enabled channel."""
    return wire_runtime(settings, job_registry(settings, extra_jobs), dispatch)
