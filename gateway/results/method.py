"""The method section: how each channel was read, the thresholds, the identity policy,
and what the médiateurs decided, so that a commune can explain every count."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from gateway.consultations.schema import Definition
from gateway.contributions import reviewed
from gateway.i18n import N_, t
from gateway.results import repository
from gateway.results.repository import Scans
from gateway.store.models import AnswerStatus, ContributionStatus

# Imported rows this close, from one IP hash and with the same answers, wait for review.
DUPLICATE_MINUTES = 10

CHANNEL_READING = {
    "online": N_(
        "Typed by the resident on a website or an app and sent through the API, or imported "
        "from another platform: counted as sent."
    ),
    "sms": N_(
        "Typed by SMS and read by the shared answer reader (positions, option words, numbers "
        "written in words); a doubtful answer is asked again, never guessed."
    ),
    "ivr": N_(
        "Keys pressed on the phone, counted as pressed, or speech turned into text and read "
        "like an SMS; a reading below the confidence threshold goes to a médiateur."
    ),
    "kiosk": N_(
        "Touched on a kiosk screen in a public place, sometimes with a médiateur whose help is "
        "recorded: counted as touched."
    ),
    "paper": N_(
        "Marks on a scanned paper form read by image analysis; a mark below the confidence "
        "threshold goes to a médiateur."
    ),
}
POLICY = {
    "one_per_person": N_("One contribution per person."),
    "many": N_("Several contributions per person are allowed."),
}
IMPORT_RULE = N_(
    "Answers imported from another platform (a Decidim survey, a CSV file) come in through the "
    "same door as every channel, keyed by that platform's answer id, so that importing a file "
    "again changes nothing. Rows from one IP hash with the same answers less than %(minutes)s "
    "minutes apart wait for a médiateur. Vote totals imported from another platform (budget "
    "projects, paper ballots) are votes, not people: they count in the ranking, never in the "
    "number of participants."
)
ON_DUPLICATE = {
    "first_wins": N_("When a person takes part again, the first contribution counts."),
    "last_wins": N_("When a person takes part again, the last contribution counts."),
    "review": N_("When a person takes part again, a médiateur decides which one counts."),
}


@dataclass
class ChannelReading:
    channel: str
    how: str
    answers: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    sent_to_review: int = 0
    rejected: int = 0
    # Answers a person decided in review (the journal's last word on each), of which
    # corrected to another value and rejected; the others were accepted as read.
    reviewed: int = 0
    corrected: int = 0
    rejected_in_review: int = 0


@dataclass
class Method:
    review_threshold: float
    threshold_from: str  # "definition" or "setting"
    identity_policy: str
    identity_keys: list[str]
    on_duplicate: str
    identity_text: list[str]
    channels: list[ChannelReading]
    awaiting_review: int
    reviewed: dict[str, int]
    not_counted: dict[str, int]
    import_rule: str = ""


def method(
    session: Session,
    consultation_id: int,
    scans: Scans,
    definition: Definition,
    language: str,
    default_threshold: float,
) -> Method:
    """The method of this consultation, with the counts of what was reviewed."""
    own = definition.review_confidence_threshold
    identity = definition.identity
    statuses = scans.statuses
    return Method(
        review_threshold=default_threshold if own is None else own,
        threshold_from="setting" if own is None else "definition",
        identity_policy=identity.policy.value,
        identity_keys=[k.value for k in identity.keys],
        on_duplicate=identity.on_duplicate.value,
        identity_text=[
            t(language, POLICY[identity.policy.value]),
            t(language, ON_DUPLICATE[identity.on_duplicate.value]),
        ],
        channels=_readings(
            scans, definition, language, reviewed.per_channel(session, consultation_id)
        ),
        awaiting_review=statuses.get(ContributionStatus.REVIEW.value, 0),
        reviewed=_left_review(repository.decided_after_review(session, consultation_id)),
        not_counted={s: n for s, n in sorted(statuses.items()) if s not in ("counted", "review")},
        import_rule=t(language, IMPORT_RULE, minutes=DUPLICATE_MINUTES),
    )


def _left_review(decided: dict[str, int]) -> dict[str, int]:
    """Leave out contributions a reviewer's undo sent back to review: decided no longer."""
    return {status: n for status, n in decided.items() if status != ContributionStatus.REVIEW}


def _readings(
    scans: Scans, definition: Definition, language: str, decided: dict[str, Counter[str]]
) -> list[ChannelReading]:
    readings = {
        c.value: ChannelReading(c.value, t(language, CHANNEL_READING[c.value]))
        for c in definition.channels
    }
    for channel, counts in decided.items():
        reading = readings.setdefault(channel, ChannelReading(channel, ""))
        reading.reviewed = counts.total()
        reading.corrected, reading.rejected_in_review = counts["corrected"], counts["rejected"]
    for channel, source, status, count in scans.by_source:
        reading = readings.setdefault(channel, ChannelReading(channel, ""))
        reading.answers += count
        reading.by_source[source] = reading.by_source.get(source, 0) + count
        reading.sent_to_review += count if status == AnswerStatus.REVIEW.value else 0
        reading.rejected += count if status == AnswerStatus.REJECTED.value else 0
    return list(readings.values())
