"""JSON bodies of the online API."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from gateway.consultations.schema import MAX_TEXT_LENGTH, IdentityKey
from gateway.text import check_text, checked

# Question ids and option keys are short; free text is bounded by the longest a definition allows.
MAX_KEY_LENGTH = 64
# An answer is a value or a list of values; deeper JSON is no answer, and is not walked.
MAX_ANSWER_DEPTH = 3


class ParticipantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: IdentityKey = IdentityKey.ONLINE_ACCOUNT
    id: Annotated[str, BeforeValidator(checked(256))] = Field(
        min_length=1,
        max_length=256,
        description="Put in its normal form (phones in E.164, e-mails and accounts "
        "case-folded), then hashed before it is stored",
    )


class ContributionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: Annotated[str, BeforeValidator(checked(100))] = Field(
        min_length=1,
        max_length=100,
        description="Your id for this contribution; sending it again is safe",
    )
    participant: ParticipantIn | None = None
    language: str = Field("fr", pattern="^(fr|en)$")
    answers: dict[str, Any] = Field(description="Question id to value")

    @field_validator("answers", mode="before")
    @classmethod
    def _plain_text(cls, answers: Any) -> Any:
        """Refuse control characters, invalid Unicode and non-numbers anywhere in the answers."""
        _check_values(answers, "answers", depth=0)
        return answers


class ContributionOut(BaseModel):
    contribution_id: int
    receipt_code: str
    status: str
    replayed: bool


def _check_values(value: Any, where: str, depth: int) -> None:
    if isinstance(value, dict | list) and depth >= MAX_ANSWER_DEPTH:
        raise ValueError(f"{where}: nested deeper than any answer")
    if isinstance(value, dict):
        for key, item in value.items():
            _check(str(key), MAX_KEY_LENGTH, where, multiline=False)
            _check_values(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_values(item, f"{where}[{index}]", depth + 1)
    elif isinstance(value, str):
        _check(value, MAX_TEXT_LENGTH, where, multiline=True)
    elif isinstance(value, float) and not math.isfinite(value):
        # Python's JSON reader accepts NaN and Infinity, which JSON itself does not have.
        raise ValueError(f"{where}: NaN and infinities are not JSON numbers")


def _check(value: str, max_length: int, where: str, multiline: bool) -> None:
    try:
        check_text(value, max_length, multiline=multiline)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
