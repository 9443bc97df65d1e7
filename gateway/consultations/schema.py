"""The consultation definition: one YAML file drives every channel."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from gateway.store.models import Channel

_CODE = re.compile(r"[A-Z][A-Z0-9]{1,11}")
Code = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,11}$")]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,47}$")]
DtmfDigit = Annotated[str, StringConstraints(pattern=r"^[0-9]$")]
SUPPORTED_LANGUAGES = ("fr", "en")
# The longest free-text answer a definition may allow.
MAX_TEXT_LENGTH = 5000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text per language: French is required, English optional."""

    fr: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    en: str | None = None

    def get(self, language: str) -> str:
        return (self.en if language == "en" else None) or self.fr


class Synonyms(Strict):
    fr: list[str] = []
    en: list[str] = []


class ShortText(Strict):
    """A short label for SMS, per language; a plain string in YAML means French."""

    fr: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
    en: Annotated[str, StringConstraints(max_length=30)] | None = None


class Option(Strict):
    key: Key
    label: Text
    sms: ShortText | None = None
    dtmf: DtmfDigit | None = None
    synonyms: Synonyms = Synonyms()
    amount: int | None = Field(
        None, ge=0, description="What the project costs, in euros (participatory budgets)"
    )

    @field_validator("sms", mode="before")
    @classmethod
    def _plain_string_is_french(cls, value: object) -> object:
        return {"fr": value} if isinstance(value, str) else value

    def sms_label(self, language: str) -> str:
        """The short SMS label, else the full label, in the reader's language."""
        short = self.sms and (self.sms.en if language == "en" else self.sms.fr)
        return short or self.label.get(language)

    def names(self) -> list[str]:
        """Every way the definition names this option, for reading typed answers."""
        names = [self.key, self.label.fr, self.label.en]
        if self.sms is not None:
            names += [self.sms.fr, self.sms.en]
        return [n for n in names if n]


class QuestionType(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    SCALE = "scale"
    NUMBER = "number"
    TEXT = "text"


class OnUnclear(StrEnum):
    SKIP = "skip"
    REVIEW = "review"


CHOICE_TYPES = {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.YES_NO}
SCALE_MIN, SCALE_MAX = 1, 5


# The default options of a yes/no question also take the adverbs that plainly answer a
# question about a habit or an opinion ("Allez-vous au parc ?" "Souvent."). A definition
# that asks something else writes its own options and synonyms.
YES_SYNONYMS = Synonyms(
    fr=["oui", "ouais", "o", "d'accord", "ok", "bien sûr", "tout à fait", "souvent", "toujours",
        "parfois", "de temps en temps", "régulièrement", "tous les jours"],
    en=["yes", "y", "yeah", "of course", "often", "always", "sometimes", "every day"],
)  # fmt: skip
NO_SYNONYMS = Synonyms(
    fr=["non", "n", "non merci", "pas d'accord", "jamais", "pas du tout"],
    en=["no", "nope", "never", "not at all"],
)


def _yes_no_options() -> list[Option]:
    return [
        Option(key="yes", label=Text(fr="Oui", en="Yes"), dtmf="1", synonyms=YES_SYNONYMS),
        Option(key="no", label=Text(fr="Non", en="No"), dtmf="2", synonyms=NO_SYNONYMS),
    ]


class Question(Strict):
    id: Key
    type: QuestionType
    text: Text
    sms: Text | None = Field(None, description="Shorter wording for SMS, if the text is long")
    help: Text | None = None
    required: bool = False
    options: list[Option] = []
    min_choices: int = Field(1, ge=0)
    max_choices: int | None = Field(None, ge=1)
    min: float | None = None
    max: float | None = None
    integer: bool = True
    max_length: int = Field(500, ge=1, le=MAX_TEXT_LENGTH)
    scale_labels: dict[int, Text] = {}
    on_unclear: OnUnclear = OnUnclear.REVIEW
    # On the phone, a closed question also takes a spoken answer ("oui", "le deux"),
    # recognised against its options only; a free-text question is always recorded.
    spoken: bool = False
    paper: dict[str, str | int] = {}
    envelope: int | None = Field(
        None, ge=1, description="The budget the projects share, in euros; each option an amount"
    )

    @model_validator(mode="before")
    @classmethod
    def _default_yes_no_options(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("type") == "yes_no" and not data.get("options"):
            return {**data, "options": _yes_no_options()}
        return data

    @model_validator(mode="after")
    def _check_consistency(self) -> Question:
        if self.type in CHOICE_TYPES:
            self._check_options()
        elif self.options:
            raise ValueError(f"a {self.type.value} question takes no options")
        if self.type == QuestionType.MULTIPLE_CHOICE:
            top = self.max_choices or len(self.options)
            if not self.min_choices <= top <= len(self.options):
                raise ValueError(
                    f"min_choices ({self.min_choices}) and max_choices ({top}) must satisfy "
                    f"min_choices <= max_choices <= number of options ({len(self.options)})"
                )
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        if self.spoken and self.type == QuestionType.TEXT:
            raise ValueError("spoken is for closed questions: free text is always recorded")
        self._check_envelope()
        return self

    def _check_envelope(self) -> None:
        if self.envelope is None:
            return
        if self.type not in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            raise ValueError("an envelope needs a single_choice or multiple_choice question")
        missing = [o.key for o in self.options if o.amount is None]
        if missing:
            raise ValueError(f"with an envelope every option needs an amount: {', '.join(missing)}")

    def _check_options(self) -> None:
        if len(self.options) < 2:
            raise ValueError("a choice question needs at least two options")
        _require_unique("option key", [o.key for o in self.options])
        _require_unique("DTMF digit", [o.dtmf for o in self.options if o.dtmf])

    @property
    def choice_limit(self) -> int:
        if self.type == QuestionType.MULTIPLE_CHOICE:
            return self.max_choices or len(self.options)
        return 1

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)

    def prompt(self, language: str, short: bool = False) -> str:
        return (self.sms if short and self.sms else self.text).get(language)


class Kind(StrEnum):
    CONSULTATION = "consultation"
    VOTE = "vote"


class Policy(StrEnum):
    ONE_PER_PERSON = "one_per_person"
    MANY = "many"


class OnDuplicate(StrEnum):
    FIRST_WINS = "first_wins"
    LAST_WINS = "last_wins"
    REVIEW = "review"


class IdentityKey(StrEnum):
    PHONE = "phone"
    BALLOT_SERIAL = "ballot_serial"
    ONLINE_ACCOUNT = "online_account"
    KIOSK_TICKET = "kiosk_ticket"
    EMAIL = "email"


class Identity(Strict):
    policy: Policy = Policy.ONE_PER_PERSON
    keys: list[IdentityKey] = [IdentityKey.PHONE, IdentityKey.ONLINE_ACCOUNT]
    on_duplicate: OnDuplicate = OnDuplicate.FIRST_WINS


class PopulationCell(Strict):
    """How many residents share these profile answers (INSEE-style reference figures)."""

    groups: dict[str, str]
    count: int = Field(ge=0)


class Results(Strict):
    """When the results are public, and the reference population to set them against."""

    published_at: datetime | None = Field(
        None, description="Results are public from this time; staff-only before"
    )
    population_source: str | None = None
    population: list[PopulationCell] = []
    # The commune's time zone: participation per day is counted in local days.
    time_zone: str = "Europe/Paris"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}, e.g. Europe/Paris") from None
        return value

    def published(self, at: datetime) -> bool:
        return self.published_at is not None and self.published_at <= at


class Definition(Strict):
    code: Code
    kind: Kind = Kind.CONSULTATION
    title: Text
    description: Text
    opens_at: datetime
    closes_at: datetime
    channels: list[Channel] = list(Channel)
    identity: Identity = Identity()
    questions: Annotated[list[Question], Field(min_length=1)]
    profile: list[Question] = []
    review_confidence_threshold: float | None = Field(None, ge=0, le=1)
    sms_transliterate: bool = Field(
        True, description="May SMS text be sent without accents to fit GSM-7 segments?"
    )
    results: Results = Results()

    @model_validator(mode="after")
    def _check(self) -> Definition:
        if self.opens_at.tzinfo is None or self.closes_at.tzinfo is None:
            raise ValueError("opens_at and closes_at need a time zone, e.g. 2026-12-01T08:00+01:00")
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must come after opens_at")
        _require_unique("question id", [q.id for q in self.all_questions])
        _require_unique("channel", [c.value for c in self.channels])
        if self.results.published_at is not None and self.results.published_at.tzinfo is None:
            raise ValueError("results.published_at needs a time zone")
        self._check_population()
        return self

    def _check_population(self) -> None:
        profile = {q.id: {o.key for o in q.options} for q in self.profile}
        for index, cell in enumerate(self.results.population):
            if not cell.groups:
                raise ValueError("results.population: no column names a profile question")
            for question_id, key in cell.groups.items():
                if key not in profile.get(question_id, ()):
                    raise ValueError(
                        f"results.population[{index}]: {question_id}={key!r} is not an option "
                        "of a profile question"
                    )

    @property
    def all_questions(self) -> list[Question]:
        return [*self.questions, *self.profile]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.all_questions if q.id == question_id), None)

    def is_open(self, at: datetime) -> bool:
        return self.opens_at <= at < self.closes_at


def _require_unique(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} is used twice")
        seen.add(value)


def normalise_code(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def could_be_code(text: str) -> bool:
    """Whether `text`, once normalised, has the shape of a consultation code."""
    return len(text) <= 64 and _CODE.fullmatch(normalise_code(text)) is not None
