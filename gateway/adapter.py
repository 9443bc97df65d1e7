"""The channel adapter protocol: what a channel brings to the platform."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import typer
from fastapi import APIRouter

from gateway.config import Settings
from gateway.jobs import JobSpec
from gateway.store.base import Base
from gateway.store.models import Channel

if TYPE_CHECKING:
    from gateway.runtime import Runtime


@dataclass(frozen=True)
class Check:
    """One thing a channel needs to be ready; `fix` says exactly what is missing."""

    what: str
    ok: bool
    fix: str = ""
    # An optional feature (SMS invitations, say) leaves the channel ready when missing.
    required: bool = True


class ChannelAdapter(Protocol):
    """A channel as the platform sees it: one object per channel folder.

    The adapters are listed in `gateway.channels.ADAPTERS` and nowhere else. From
    this one object the app factory mounts `router`; the `portevoix` command adds
    `cli` as `portevoix <channel> …` (its commands get a runtime factory in
    `ctx.obj`); the migrations environment sees the tables in `models`; the job
    registry takes `jobs`; `portevoix serve` prints `urls`; and `portevoix doctor`
    runs `checks`. A channel speaks its medium and hands `Intake`s to the door; it
    never imports another channel.
    """

    @property
    def channel(self) -> Channel: ...

    @property
    def router(self) -> APIRouter | None:
        """The channel's routes (webhooks, pages, API), mounted when it is enabled."""
        ...

    @property
    def cli(self) -> typer.Typer | None:
        """The `portevoix <channel> …` commands, or None."""
        ...

    @property
    def models(self) -> tuple[type[Base], ...]:
        """The channel's own tables; migrations see them whether it is enabled or not."""
        ...

    @property
    def jobs(self) -> tuple[JobSpec, ...]:
        """The channel's jobs; periodic ones are enqueued by `serve` when it is enabled."""
        ...

    def urls(self, base: str, settings: Settings) -> list[str]:
        """Lines `serve` prints: where to point a provider or a browser."""
        ...

    def checks(self, runtime: Runtime) -> list[Check]:
        """What the channel needs (a token, a model, a package, a browser), each checked."""
        ...


RuntimeFactory = Callable[[], "Runtime"]


def cli_runtime(ctx: typer.Context) -> Runtime:
    """The runtime a channel command uses: built by the `portevoix` command, closed by you."""
    factory: RuntimeFactory = ctx.obj
    return factory()
