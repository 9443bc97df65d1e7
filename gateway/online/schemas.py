"""JSON bodies of the online API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gateway.consultations.schema import IdentityKey


class ParticipantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: IdentityKey = IdentityKey.ONLINE_ACCOUNT
    id: str = Field(
        min_length=1,
        max_length=256,
        description="Put in its normal form (phones in E.164, e-mails and accounts "
        "case-folded), then hashed before it is stored",
    )


class ContributionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(
        min_length=1,
        max_length=100,
        description="Your id for this contribution; sending it again is safe",
    )
    participant: ParticipantIn | None = None
    language: str = Field("fr", pattern="^(fr|en)$")
    answers: dict[str, Any] = Field(description="Question id to value")


class ContributionOut(BaseModel):
    contribution_id: int
    receipt_code: str
    status: str
    replayed: bool
