"""Online channel: a JSON API for online participants and other platforms."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BeforeValidator

from gateway.consultations import repository as consultations
from gateway.contributions.intake import IntakeConflict, IntakeRejected
from gateway.deps import RuntimeDep, SessionDep, door_policy
from gateway.errors import NotFound
from gateway.http import error_responses
from gateway.identity import InvalidIdentity
from gateway.online.schemas import ContributionIn, ContributionOut
from gateway.online.service import IdentityRefused, IdentityRequired, record_contribution
from gateway.online.tokens import ApiClient, find_client
from gateway.results.tally import tally
from gateway.staff.deps import require_role
from gateway.text import checked

router = APIRouter(prefix="/api/v1", tags=["online"])
UNPROCESSABLE = 422
bearer = HTTPBearer(auto_error=False)
CodePath = Annotated[
    str,
    Path(max_length=64, description="The consultation's code, e.g. BUDGET"),
    BeforeValidator(checked(64)),
]


def api_client(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiClient:
    client = find_client(session, credentials.credentials) if credentials else None
    if client is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid API token is required (portevoix tokens create NAME)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return client


@router.post(
    "/consultations/{code}/contributions",
    response_model=ContributionOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": ContributionOut, "description": "Already recorded: the same result again"},
        **error_responses(400, 401, 403, 404, 409, 413, 422),
    },
)
def post_contribution(
    code: CodePath,
    body: ContributionIn,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    client: Annotated[ApiClient, Depends(api_client)],
) -> ContributionOut:
    secret = runtime.settings.secret
    try:
        result = record_contribution(session, client, code, body, secret, door_policy(runtime))
    except IntakeRejected as rejected:
        raise HTTPException(UNPROCESSABLE, rejected.problems) from None
    except (IdentityRequired, InvalidIdentity) as error:
        raise HTTPException(UNPROCESSABLE, f"participant: {error}") from None
    except IdentityRefused as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
    except IntakeConflict:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"external_id {body.external_id!r} was already used for a different contribution "
            "to this consultation: send a new external_id for a new contribution",
        ) from None
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


@router.get("/consultations/{code}/results", responses=error_responses(401, 404, 422))
def get_results(
    code: CodePath, request: Request, session: SessionDep, language: str = "fr"
) -> dict[str, Any]:
    """The tallies: public once the results are published, for signed-in staff before."""
    try:
        result = tally(session, code, language)
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None
    if not result.published:
        require_role(api=True)(request, session)
        session.commit()  # keeps the staff session's last use
    return result.as_dict()


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
