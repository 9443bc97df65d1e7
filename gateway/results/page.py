"""What the results page shows, computed from a Tally: charts and the tables beside them."""

from __future__ import annotations

from typing import Any

from gateway.i18n import N_, t
from gateway.results.charts import Chart, bar_chart
from gateway.results.imports import totals
from gateway.results.inclusion import Inclusion
from gateway.results.tally import QuestionTally, Tally
from gateway.store.models import Channel

CHANNEL_NAMES = {
    "online": N_("Online"),
    "sms": N_("SMS"),
    "ivr": N_("Phone"),
    "kiosk": N_("Kiosk"),
    "paper": N_("Paper"),
}
CHANNEL_ORDER = [c.value for c in Channel]
IMPORTED_NAMES = {
    totals.PROJECTS: N_("Online, imported totals"),
    totals.PAPER_BALLOTS: N_("Paper, imported totals"),
}


def channel_name(language: str, channel: str) -> str:
    return t(language, CHANNEL_NAMES[channel]) if channel in CHANNEL_NAMES else channel


def page_context(result: Tally) -> dict[str, Any]:
    channels = _channels(result)
    names = {ch: channel_name(result.language, ch) for ch in channels}
    return {
        "pct": _percent,
        "result": result,
        "channels": channels,
        "channel_names": names,
        "imported_names": {k: t(result.language, v) for k, v in IMPORTED_NAMES.items()},
        "channel_chart": _channel_chart(result, names),
        "question_charts": {
            q.question_id: _question_chart(q, channels, names, result.language)
            for q in result.questions
            if q.counts
        },
        "group_charts": _group_charts(result),
        "day_chart": _day_chart(result.inclusion, channels, names, result.language),
    }


def _channels(result: Tally) -> list[str]:
    seen = {ch for q in result.questions for ch in q.answered_by_channel} | set(result.by_channel)
    return [ch for ch in CHANNEL_ORDER if ch in seen] + sorted(seen - set(CHANNEL_ORDER))


def _channel_chart(result: Tally, names: dict[str, str]) -> Chart:
    rows = [(names[ch], [{names[ch]: n}]) for ch, n in result.by_channel.items()]
    title = t(result.language, N_("Counted contributions per channel"))
    return bar_chart("chart-channels", title, rows, [names[ch] for ch in result.by_channel])


def _question_chart(
    question: QuestionTally, channels: list[str], names: dict[str, str], language: str
) -> Chart:
    labels = {r.key: r.label for r in question.ranking}
    rows = [
        (
            labels.get(key, key),
            [{names[ch]: question.by_channel.get(ch, {}).get(key, 0) for ch in channels}],
        )
        for key in question.counts
    ]
    title = t(language, N_("Answers per option and channel: %(question)s"), question=question.text)
    return bar_chart(f"chart-{question.question_id}", title, rows, [names[ch] for ch in channels])


def _group_charts(result: Tally) -> dict[str, Chart]:
    language, inclusion = result.language, result.inclusion
    texts = {q.question_id: q.text for q in result.questions}
    participants = t(language, N_("Share among participants"))
    population = t(language, N_("Share in the population"))
    charts = {}
    for question_id in dict.fromkeys(g.question_id for g in inclusion.groups):
        groups = [g for g in inclusion.groups if g.question_id == question_id and g.population]
        if not groups:
            continue
        rows = [
            (g.label, [{participants: g.share or 0}, {population: g.population_share or 0}])
            for g in groups
        ]
        title = t(
            language, N_("Participants and population: %(question)s"), question=texts[question_id]
        )
        charts[question_id] = bar_chart(
            f"chart-group-{question_id}", title, rows, [participants, population], percent=True
        )
    return charts


def _day_chart(
    inclusion: Inclusion, channels: list[str], names: dict[str, str], language: str
) -> Chart:
    rows = [
        (day.day, [{names[ch]: n for ch, n in day.channels.items()}]) for day in inclusion.per_day
    ]
    title = t(language, N_("Counted contributions per day and channel"))
    return bar_chart("chart-days", title, rows, [names[ch] for ch in channels])


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f} %"
