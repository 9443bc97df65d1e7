"""Inclusion indicators: whom each channel reached, set against the commune's population.

- the share of counted contributions per channel;
- per profile group (an age band, a quartier): counted answers per channel, their share
  among the participants who answered that question with a group the reference knows,
  the group's share of the population, and the representativeness index (the first share
  over the second: 1 is a fair share, 0.5 half of it, 2 twice);
- the groups that took part mostly through SMS, phone, kiosk or paper: those an online
  consultation alone would have missed;
- counted contributions per channel and local day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.consultations.schema import Definition
from gateway.results.repository import Scans
from gateway.store.models import Channel

# Every channel but online: what "online alone" would have missed.
OFFLINE = frozenset(c.value for c in Channel if c != Channel.ONLINE)


@dataclass
class Group:
    question_id: str
    key: str
    label: str
    participants: int
    by_channel: dict[str, int]
    share: float | None = None
    population: int | None = None
    population_share: float | None = None
    index: float | None = None
    offline_share: float | None = None
    mostly_offline: bool = False


@dataclass
class Day:
    day: str  # ISO date, local to the commune
    channels: dict[str, int]


@dataclass
class Inclusion:
    channel_shares: dict[str, float]
    groups: list[Group]
    per_day: list[Day]
    population_source: str | None = None
    population_total: int = 0
    time_zone: str = "Europe/Paris"
    offline_channels: list[str] = field(default_factory=lambda: sorted(OFFLINE))

    @property
    def missing_online_alone(self) -> list[Group]:
        return [g for g in self.groups if g.mostly_offline]


def inclusion(
    scans: Scans,
    definition: Definition,
    profiles: dict[str, dict[str, dict[str, int]]],
    language: str,
) -> Inclusion:
    """The indicators, from the profile tallies per channel and the reference figures."""
    reference = definition.results
    return Inclusion(
        channel_shares=_shares(scans.counted_by_channel),
        groups=_groups(definition, profiles, language),
        per_day=per_day(scans.counted_per_hour, ZoneInfo(reference.time_zone)),
        population_source=reference.population_source,
        population_total=sum(cell.count for cell in reference.population),
        time_zone=reference.time_zone,
    )


def _shares(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {key: round(n / total, 4) for key, n in sorted(counts.items())} if total else {}


def population_by_group(definition: Definition) -> dict[tuple[str, str], int]:
    """The reference figures summed per (profile question, option)."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for cell in definition.results.population:
        for question_id, key in cell.groups.items():
            totals[question_id, key] += cell.count
    return dict(totals)


def _groups(
    definition: Definition, profiles: dict[str, dict[str, dict[str, int]]], language: str
) -> list[Group]:
    population = population_by_group(definition)
    groups = []
    for question in definition.profile:
        by_channel = profiles.get(question.id, {})
        for option in question.options:
            channels = {
                ch: n[option.key] for ch, n in sorted(by_channel.items()) if n.get(option.key)
            }
            group = Group(
                question.id,
                option.key,
                option.label.get(language),
                sum(channels.values()),
                channels,
            )
            group.population = population.get((question.id, option.key))
            groups.append(group)
    for question in definition.profile:
        _compare(population, [g for g in groups if g.question_id == question.id])
    return groups


def _compare(population: dict[tuple[str, str], int], groups: list[Group]) -> None:
    """Shares among the groups the reference knows, the index, the offline share."""
    known = [g for g in groups if g.population is not None]
    participants = sum(g.participants for g in known)
    residents = sum(g.population or 0 for g in known)
    for group in groups:
        offline = sum(n for ch, n in group.by_channel.items() if ch in OFFLINE)
        if group.participants:
            group.offline_share = round(offline / group.participants, 4)
            group.mostly_offline = offline * 2 > group.participants
        if group.population is None or not residents:
            continue
        group.population_share = round(group.population / residents, 4)
        if participants:
            group.share = round(group.participants / participants, 4)
            if group.population:
                ratio = (group.participants / participants) / (group.population / residents)
                group.index = round(ratio, 2)


def per_day(hours: list[tuple[datetime, str, int]], zone: ZoneInfo) -> list[Day]:
    """Counted contributions per local day and channel, in date order."""
    days: dict[str, dict[str, int]] = defaultdict(dict)
    for hour, channel, count in hours:
        day = days[hour.astimezone(zone).date().isoformat()]
        day[channel] = day.get(channel, 0) + count
    return [Day(day, dict(sorted(days[day].items()))) for day in sorted(days)]
