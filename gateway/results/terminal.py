"""The tally as `portevoix results` prints it: the figures of the results page, in text."""

from __future__ import annotations

from gateway.results.inclusion import Inclusion
from gateway.results.method import Method
from gateway.results.tally import IMPORTED_SOURCES, Envelope, QuestionTally, Tally


def table(result: Tally) -> str:
    lines = [f"{result.code} — {result.title}"]
    lines.append(f"results published: {'yes' if result.published else 'no (staff only)'}")
    contributions = ", ".join(f"{k}: {v}" for k, v in sorted(result.contributions.items()))
    lines.append(f"contributions: {contributions or 'none'}")
    channels = ", ".join(f"{k}: {v}" for k, v in sorted(result.by_channel.items()))
    lines.append(f"counted by channel: {channels or 'none'}")
    for question in result.questions:
        lines += _question(question)
    lines += _inclusion(result.inclusion)
    lines += _method(result.method)
    return "\n".join(lines)


def _question(question: QuestionTally) -> list[str]:
    lines = [f"\n[{question.question_id}] {question.text}"]
    awaiting = _pairs(question.awaiting_by_channel)
    lines.append(
        f"  answered: {question.answered}, awaiting review: {question.awaiting_review}"
        + (f" ({awaiting})" if awaiting else "")
    )
    for key, count in question.counts.items():
        by_channel = ", ".join(
            f"{ch} {counts.get(key, 0)}" for ch, counts in sorted(question.by_channel.items())
        )
        lines.append(f"  {key:<20} {count:>6}   {by_channel}")
    if question.mean is not None:
        lines.append(f"  mean: {question.mean}")
    for source, totals in question.imported.items():
        name = IMPORTED_SOURCES.get(source, source)
        lines.append(f"  {name} (votes, not people): {_pairs(totals)}")
    if question.imported:
        lines.append(f"  votes with imported totals: {_pairs(question.votes)}")
    if question.ranking:
        lines.append("  ranking: " + ", ".join(f"{r.rank}. {r.key}" for r in question.ranking))
        lines += [
            f"  tie: {r.key} and {', '.join(r.tied_with)} have {r.count} each and share place "
            f"{r.rank} (the definition sets no tie-break)"
            for r in question.ranking
            if r.tied_with and r.key < min(r.tied_with)
        ]
    if question.ranking_unsettled:
        lines.append(
            f"  answers awaiting review ({question.awaiting_review}) could change this order"
        )
    if question.envelope is not None:
        lines += _envelope(question.envelope)
    return lines


def _envelope(envelope: Envelope) -> list[str]:
    lines = [f"  envelope: {envelope.budget} €, funded {envelope.spent} €, left {envelope.left} €"]
    for project in envelope.projects:
        state = "funded" if project.funded else "no vote" if not project.votes else "does not fit"
        tie = " (tied: taken in the definition's order)" if project.tie_decided else ""
        lines.append(
            f"    {project.key:<20} {project.votes:>6} votes {project.amount:>9} €  {state}{tie}"
        )
    return lines


def _inclusion(inclusion: Inclusion) -> list[str]:
    lines = ["\ninclusion"]
    shares = ", ".join(f"{ch} {share:.1%}" for ch, share in inclusion.channel_shares.items())
    lines.append(f"  share of contributions per channel: {shares or 'none'}")
    if inclusion.population_source:
        lines.append(
            f"  population: {inclusion.population_total} residents ({inclusion.population_source})"
        )
    lines.append(f"  {'group':<26} {'count':>6} {'share':>7} {'pop.':>7} {'index':>6}  channels")
    for g in inclusion.groups:
        lines.append(
            f"  {g.question_id + '=' + g.key:<26} {g.participants:>6} {_percent(g.share):>7} "
            f"{_percent(g.population_share):>7} {_number(g.index):>6}  {_pairs(g.by_channel)}"
        )
    missing = ", ".join(f"{g.question_id}={g.key}" for g in inclusion.missing_online_alone)
    lines.append(f"  mostly through SMS, phone, kiosk or paper: {missing or 'none'}")
    lines.append(f"  per day ({inclusion.time_zone}):")
    lines += [f"    {d.day}  {_pairs(d.channels)}" for d in inclusion.per_day]
    return lines


def _method(method: Method) -> list[str]:
    lines = ["\nmethod"]
    lines.append(
        f"  review threshold: {method.review_threshold} (from the {method.threshold_from})"
    )
    lines.append(
        f"  identity: {method.identity_policy}, keys {', '.join(method.identity_keys)}, "
        f"{method.on_duplicate}"
    )
    for reading in method.channels:
        lines.append(
            f"  {reading.channel}: {reading.answers} answers ({_pairs(reading.by_source)}), "
            f"{reading.sent_to_review} sent to review, {reading.rejected} rejected; "
            f"decided by a person: {reading.reviewed} reviewed, {reading.corrected} corrected, "
            f"{reading.rejected_in_review} rejected"
        )
    lines.append(
        f"  awaiting review: {method.awaiting_review}; decided after review: "
        f"{_pairs(method.reviewed) or 'none'}; not counted: {_pairs(method.not_counted) or 'none'}"
    )
    return lines


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
