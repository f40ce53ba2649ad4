"""Routes of the questionnaire service: questionnaires, drafts and submissions."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from palermo_questionnaire import responses
from palermo_questionnaire.api.schemas import (
    DraftSave,
    QuestionnairePublic,
    QuestionPublic,
    ResponsePublic,
)
from palermo_questionnaire.domain.forms import Answer, Questionnaire
from palermo_questionnaire.tables import Response
from palermo_shared.errors import NotFound
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.service import ServiceRuntime, runtime_of

router = APIRouter()
Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]
StateCode = Annotated[
    str, Path(pattern="^[A-Za-z]{3}$", description="ISO 3166-1 alpha-3 code")
]
RESPONSE_PATH = "/phases/{phase_id}/responses/{state}/{instrument}/{cluster}"


def _questionnaire_public(questionnaire: Questionnaire) -> QuestionnairePublic:
    schema = Answer.model_json_schema()
    return QuestionnairePublic(
        id=questionnaire.id,
        instrument=questionnaire.instrument,
        cluster=questionnaire.cluster,
        version=questionnaire.version,
        title=questionnaire.title,
        questions=[
            QuestionPublic(
                id=q.id, article=q.article, text=q.text, answer_schema=schema
            )
            for q in questionnaire.questions
        ],
    )


def _response_public(response: Response) -> ResponsePublic:
    return ResponsePublic.model_validate(response, from_attributes=True)


@router.get(
    "/phases/{phase_id}/questionnaires/{instrument}/{cluster}",
    response_model=QuestionnairePublic,
)
async def get_questionnaire(
    phase_id: str,
    instrument: Instrument,
    cluster: Cluster,
    runtime: Runtime,
    state: Annotated[str, Query(pattern="^[A-Za-z]{3}$")],
) -> QuestionnairePublic:
    """Return the questionnaire as it applies to `state`."""
    async with runtime.session() as session:
        questionnaire = await responses.applicable_questionnaire(
            session, phase_id, state.upper(), instrument, cluster
        )
    return _questionnaire_public(questionnaire)


@router.get(RESPONSE_PATH, response_model=ResponsePublic)
async def get_response(
    phase_id: str,
    state: StateCode,
    instrument: Instrument,
    cluster: Cluster,
    runtime: Runtime,
) -> ResponsePublic:
    async with runtime.session() as session:
        response = await responses.find_response(
            session, phase_id, state.upper(), instrument, cluster
        )
    if response is None:
        raise NotFound(
            f"no response of {state.upper()} for {instrument.value}/{cluster.value} "
            f"in phase {phase_id}"
        )
    return _response_public(response)


@router.put(RESPONSE_PATH, response_model=ResponsePublic)
async def save_draft(
    phase_id: str,
    state: StateCode,
    instrument: Instrument,
    cluster: Cluster,
    body: DraftSave,
    runtime: Runtime,
) -> ResponsePublic:
    async with runtime.transaction() as session:
        response = await responses.save_draft(
            session, phase_id, state.upper(), instrument, cluster, body.answers
        )
    return _response_public(response)


@router.post(f"{RESPONSE_PATH}/submit", response_model=ResponsePublic)
async def submit(
    phase_id: str,
    state: StateCode,
    instrument: Instrument,
    cluster: Cluster,
    runtime: Runtime,
) -> ResponsePublic:
    async with runtime.transaction() as session:
        response = await responses.submit(
            session, phase_id, state.upper(), instrument, cluster
        )
    return _response_public(response)
