"""Online contributions: whose identity a client may assert, and how it is keyed.

A phone number is the identity the SMS and phone channels verify by the line
itself, so an API client may speak for one only with the verified-phone scope,
and each such assertion is journaled. Every other identity a client sends lives
in that client's own namespace: two platforms' "alice" are two people, and no
client can reach a key made by a channel.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from gateway import audit
from gateway.consultations import repository as consultations
from gateway.consultations.schema import Definition, IdentityKey, Policy
from gateway.contributions.door import record_intake
from gateway.contributions.intake import (
    AnswerIn,
    DoorPolicy,
    Intake,
    IntakeResult,
    ParticipantRef,
    fingerprint,
)
from gateway.errors import PortevoixError
from gateway.identity import normal_identity, participant_key
from gateway.online.schemas import ContributionIn, ParticipantIn
from gateway.online.tokens import ApiClient, Scope
from gateway.store.models import AnswerSource, Channel


class IdentityRequired(PortevoixError):
    """The consultation counts one contribution per person and none was named."""


class IdentityRefused(PortevoixError):
    """The client may not assert this kind of identity."""


def record_contribution(
    session: Session,
    client: ApiClient,
    code: str,
    body: ContributionIn,
    secret: bytes,
    policy: DoorPolicy,
) -> IntakeResult:
    """Record a client's contribution through the door; flush, and let the caller commit."""
    intake = _intake(session, client, code, body, secret)
    result = record_intake(session, intake, policy)
    if body.participant and body.participant.kind == IdentityKey.PHONE and not result.replayed:
        _journal_phone_assertion(session, client, intake, result)
    return result


def _intake(
    session: Session, client: ApiClient, code: str, body: ContributionIn, secret: bytes
) -> Intake:
    """Build the intake of a client's contribution, its participant keyed."""
    consultation = consultations.get(session, code)
    definition = consultations.definition_of(consultation)
    intake = Intake(
        consultation_code=consultation.code,
        channel=Channel.ONLINE,
        # Scoped to the client and the consultation: the same id sent for another
        # consultation is another contribution. The token's id, not its name,
        # keeps the whole within the column whatever the name's length.
        external_id=f"{client.id}:{consultation.code}:{body.external_id}",
        answers=[
            AnswerIn(question_id=qid, value=value, raw=None, source=AnswerSource.TYPED)
            for qid, value in body.answers.items()
        ],
        participant=_participant(client, definition, body.participant, secret),
        language=body.language,
    )
    return replace(intake, fingerprint=fingerprint(intake))


def _participant(
    client: ApiClient, definition: Definition, given: ParticipantIn | None, secret: bytes
) -> ParticipantRef | None:
    _require_identity(definition, given)
    if given is None:
        return None
    if given.kind == IdentityKey.PHONE:
        if Scope.VERIFIED_PHONE not in client.scopes:
            raise IdentityRefused(
                f"token {client.name!r} may not assert phone identities: a phone number is "
                f"verified by the SMS or phone channel, or by a partner whose token has "
                f"the {Scope.VERIFIED_PHONE.value} scope"
            )
        namespace = IdentityKey.PHONE.value  # the channels' own: one person across them
    else:
        namespace = f"{given.kind.value}@{client.name}"
    key = participant_key(namespace, normal_identity(given.kind, given.id), secret)
    return ParticipantRef(kind=given.kind.value, key_hash=key)


def _require_identity(definition: Definition, given: ParticipantIn | None) -> None:
    if definition.identity.policy != Policy.ONE_PER_PERSON:
        return
    if given is None or given.kind not in definition.identity.keys:
        keys = ", ".join(k.value for k in definition.identity.keys)
        raise IdentityRequired(
            "this consultation counts one contribution per person: send a participant "
            f"whose kind is one of: {keys}"
        )


def _journal_phone_assertion(
    session: Session, client: ApiClient, intake: Intake, result: IntakeResult
) -> None:
    # No number and no key: the contribution leads to the participant already.
    audit.append(
        session,
        "identity.asserted",
        "api_token",
        client.id,
        {
            "kind": IdentityKey.PHONE.value,
            "consultation": intake.consultation_code,
            "contribution": result.contribution_id,
        },
        actor=f"api:{client.name}",
    )
