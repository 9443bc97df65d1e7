"""Online channel: a JSON API for online participants and other platforms."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BeforeValidator
from sqlalchemy.orm import Session

from gateway.consultations import repository as consultations
from gateway.consultations.schema import Policy
from gateway.deps import door_policy, get_runtime, get_session
from gateway.errors import NotFound
from gateway.http import error_responses
from gateway.identity import participant_key
from gateway.intake import AnswerIn, Intake, IntakeRejected, ParticipantRef, record_intake
from gateway.online.schemas import ContributionIn, ContributionOut
from gateway.online.tokens import token_name
from gateway.results.tally import tally
from gateway.runtime import Runtime
from gateway.store.models import AnswerSource, Channel
from gateway.text import checked

router = APIRouter(prefix="/api/v1", tags=["online"])
UNPROCESSABLE = 422
bearer = HTTPBearer(auto_error=False)
SessionDep = Annotated[Session, Depends(get_session)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
CodePath = Annotated[
    str,
    Path(max_length=64, description="The consultation's code, e.g. BUDGET"),
    BeforeValidator(checked(64)),
]


def api_client(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    name = token_name(session, credentials.credentials) if credentials else None
    if name is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid API token is required (portevoix tokens create NAME)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return name


@router.post(
    "/consultations/{code}/contributions",
    response_model=ContributionOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": ContributionOut, "description": "Already recorded: the same result again"},
        **error_responses(400, 401, 404, 409, 413, 422),
    },
)
def post_contribution(
    code: CodePath,
    body: ContributionIn,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    client: Annotated[str, Depends(api_client)],
) -> ContributionOut:
    intake = _intake(session, runtime, code, body, client)
    try:
        result = record_intake(session, intake, door_policy(runtime))
    except IntakeRejected as rejected:
        raise HTTPException(UNPROCESSABLE, rejected.problems) from None
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None
    session.commit()
    if result.replayed:
        response.status_code = status.HTTP_200_OK
    return ContributionOut(
        contribution_id=result.contribution_id,
        receipt_code=result.receipt_code,
        status=result.status.value,
        replayed=result.replayed,
    )


def _intake(
    session: Session, runtime: Runtime, code: str, body: ContributionIn, client: str
) -> Intake:
    consultation = consultations.find(session, code)
    if consultation is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no consultation with code {code!r}")
    definition = consultations.definition_of(consultation)
    if definition.identity.policy == Policy.ONE_PER_PERSON:
        keys = ", ".join(k.value for k in definition.identity.keys)
        if body.participant is None or body.participant.kind not in definition.identity.keys:
            raise HTTPException(
                UNPROCESSABLE,
                "this consultation counts one contribution per person: send a participant "
                f"whose kind is one of: {keys}",
            )
    participant = None
    if body.participant is not None:
        key = participant_key(
            body.participant.kind.value, body.participant.id, runtime.settings.secret
        )
        participant = ParticipantRef(kind=body.participant.kind.value, key_hash=key)
    return Intake(
        consultation_code=consultation.code,
        channel=Channel.ONLINE,
        # Namespaced by client so two platforms' ids can never collide.
        external_id=f"{client}:{body.external_id}",
        answers=[
            AnswerIn(question_id=qid, value=value, raw=None, source=AnswerSource.TYPED)
            for qid, value in body.answers.items()
        ],
        participant=participant,
        language=body.language,
    )


@router.get("/consultations/{code}/results", responses=error_responses(404, 422))
def get_results(code: CodePath, session: SessionDep, language: str = "fr") -> dict[str, Any]:
    try:
        return tally(session, code, language).as_dict()
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None


@router.get("/consultations")
def list_consultations(session: SessionDep) -> list[dict[str, Any]]:
    out = []
    for consultation in consultations.list_all(session):
        definition = consultations.definition_of(consultation)
        out.append(
            {
                "code": consultation.code,
                "kind": consultation.kind,
                "title": definition.title.model_dump(),
                "opens_at": definition.opens_at.isoformat(),
                "closes_at": definition.closes_at.isoformat(),
                "channels": [c.value for c in definition.channels],
                "version": consultation.version,
            }
        )
    return out
