"""Routes of the questionnaire service: questionnaires, drafts, submissions, versions.

Responses carry an ETag; updates need it in If-Match (412 when stale, 428
when missing on an existing response).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from palermo_questionnaire import responses
from palermo_questionnaire.api.access import (
    DraftableKey,
    ReadableKey,
    SubmittableKey,
    check_draft_hidden,
)
from palermo_questionnaire.api.keys import RESPONSE_PATH, Runtime
from palermo_questionnaire.api.schemas import (
    ChangePublic,
    DiffPublic,
    DraftSave,
    QuestionnairePublic,
    ResponsePublic,
    VersionPublic,
    VersionSummary,
)
from palermo_questionnaire.api.views import RequestLanguage, questionnaire_public
from palermo_questionnaire.responses import ResponseKey
from palermo_questionnaire.tables import Response as StoredResponse
from palermo_shared.auth import AUTHENTICATED, Caller
from palermo_shared.db import MAX_STORED_INT
from palermo_shared.filters import RegisteredState
from palermo_shared.preconditions import IfMatch
from palermo_shared.reference.instruments import Cluster, Instrument

router = APIRouter(dependencies=[AUTHENTICATED])


def _public(stored: StoredResponse, http: Response) -> ResponsePublic:
    http.headers["ETag"] = responses.etag_of(stored)
    return ResponsePublic.model_validate(stored, from_attributes=True)


async def check_questionnaire_reviewed(
    phase_id: str, instrument: Instrument, cluster: Cluster, runtime: Runtime
) -> None:
    """Raise unless the phase exists and reviews this questionnaire.

    FastAPI runs a dependency before it checks the route's query, so an
    unknown phase or cluster is reported even when `state` is missing.
    """
    async with runtime.session() as session:
        scope = await responses.get_scope(session, phase_id)
    responses.check_in_scope(scope, instrument, cluster)


@router.get(
    "/phases/{phase_id}/questionnaires/{instrument}/{cluster}",
    response_model=QuestionnairePublic,
    dependencies=[Depends(check_questionnaire_reviewed)],
)
async def get_questionnaire(
    phase_id: str,
    instrument: Instrument,
    cluster: Cluster,
    runtime: Runtime,
    state: Annotated[
        RegisteredState,
        Query(
            description="ISO 3166-1 alpha-3 code, in upper case, of the State the "
            "questionnaire applies to; required, because the questions depend on "
            "the State. An unknown code gets 422",
        ),
    ],
    language: RequestLanguage,
    http: Response,
) -> QuestionnairePublic:
    """Return the questionnaire as it applies to `state`, in the language asked."""
    key = ResponseKey(phase_id, state, instrument, cluster)
    async with runtime.session() as session:
        questionnaire = await responses.applicable_questionnaire(session, key)
    http.headers["Content-Language"] = language.value
    return questionnaire_public(questionnaire, language)


@router.get(RESPONSE_PATH, response_model=ResponsePublic)
async def get_response(
    key: ReadableKey, principal: Caller, runtime: Runtime, http: Response
) -> ResponsePublic:
    async with runtime.session() as session:
        stored = await responses.require_response(session, key)
    check_draft_hidden(principal, key, stored.status)
    return _public(stored, http)


@router.put(RESPONSE_PATH, response_model=ResponsePublic)
async def save_draft(
    key: DraftableKey,
    body: DraftSave,
    runtime: Runtime,
    language: RequestLanguage,
    http: Response,
    if_match: IfMatch,
) -> ResponsePublic:
    """Save the draft's answers (all of them); a submitted response starts a new
    version."""
    async with runtime.transaction() as session:
        stored = await responses.save_draft(
            session, key, body.answers, body.language or language, if_match
        )
    return _public(stored, http)


@router.post(f"{RESPONSE_PATH}/submit", response_model=ResponsePublic)
async def submit(
    key: SubmittableKey, runtime: Runtime, http: Response, if_match: IfMatch
) -> ResponsePublic:
    """Submit the draft after checking it is complete; lists every problem at once."""
    async with runtime.transaction() as session:
        stored = await responses.submit(session, key, if_match)
    return _public(stored, http)


@router.get(f"{RESPONSE_PATH}/versions", response_model=list[VersionSummary])
async def list_versions(key: ReadableKey, runtime: Runtime) -> list[VersionSummary]:
    async with runtime.session() as session:
        versions = await responses.list_versions(session, key)
    return [VersionSummary.model_validate(v, from_attributes=True) for v in versions]


@router.get(f"{RESPONSE_PATH}/versions/{{version}}", response_model=VersionPublic)
async def get_version(
    key: ReadableKey,
    version: Annotated[int, Path(ge=1, le=MAX_STORED_INT)],
    runtime: Runtime,
) -> VersionPublic:
    async with runtime.session() as session:
        found = await responses.get_version(session, key, version)
    return VersionPublic.model_validate(found, from_attributes=True)


@router.get(f"{RESPONSE_PATH}/versions/{{version}}/diff", response_model=DiffPublic)
async def diff_versions(
    key: ReadableKey,
    version: Annotated[int, Path(ge=1, le=MAX_STORED_INT)],
    runtime: Runtime,
    against: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_STORED_INT,
            description="Earlier version; by default the previous one",
        ),
    ] = None,
) -> DiffPublic:
    """Return the questions whose answers differ between two submitted versions."""
    async with runtime.session() as session:
        before, after, changes = await responses.version_changes(
            session, key, version, against
        )
    return DiffPublic(
        version=after.version,
        against=before.version,
        changes=[
            ChangePublic(
                question_id=c.question_id,
                article=c.article,
                change=c.change,
                before=c.before,
                after=c.after,
            )
            for c in changes
        ],
    )
