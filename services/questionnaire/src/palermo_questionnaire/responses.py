"""Drafts and submissions of questionnaire responses: state changes and events."""

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_questionnaire.domain.forms import (
    Problem,
    Questionnaire,
    answer_problems,
    completeness_problems,
    has_cluster,
    questionnaire_for,
)
from palermo_questionnaire.tables import PhaseScope, Response, StateUnderReview
from palermo_shared.clock import utcnow
from palermo_shared.contracts import QuestionnaireSubmitted
from palermo_shared.errors import Conflict, InvalidInput, NotFound
from palermo_shared.events import new_event
from palermo_shared.outbox import record_event
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.reference.states import load_states

SOURCE = "/palermo/questionnaire"


async def get_scope(session: AsyncSession, phase_id: str) -> PhaseScope:
    scope = await session.get(PhaseScope, phase_id)
    if scope is None:
        raise NotFound(
            f"review phase {phase_id} not found; if it was just opened, "
            "retry in a moment"
        )
    return scope


async def applicable_questionnaire(
    session: AsyncSession,
    phase_id: str,
    state: str,
    instrument: Instrument,
    cluster: Cluster,
) -> Questionnaire:
    """Return the questionnaire a State answers, after checking it is under review."""
    scope = await get_scope(session, phase_id)
    registry = load_states()
    if state not in registry:
        raise NotFound(f"State {state} not found in the States-parties registry")
    if instrument.value not in scope.instruments:
        raise InvalidInput(
            f"instrument {instrument.value} is not reviewed in phase {phase_id}",
            field="instrument",
        )
    if cluster.value not in scope.clusters:
        raise InvalidInput(
            f"cluster {cluster.value} is not reviewed in phase {phase_id}; "
            f"reviewed clusters: {', '.join(scope.clusters)}",
            field="cluster",
        )
    if not has_cluster(instrument, cluster):
        raise InvalidInput(
            f"the {instrument.value} instrument has no {cluster.value} cluster",
            field="cluster",
        )
    if await session.get(StateUnderReview, (phase_id, instrument.value, state)) is None:
        raise InvalidInput(
            f"{state} is not under review for {instrument.value} in phase {phase_id}: "
            "it was not party to that instrument on the phase's draw date",
            field="state",
        )
    party_to_uncac = registry[state].party_to_uncac(scope.draw_date)
    return questionnaire_for(instrument, cluster, party_to_uncac=party_to_uncac)


async def find_response(
    session: AsyncSession,
    phase_id: str,
    state: str,
    instrument: Instrument,
    cluster: Cluster,
) -> Response | None:
    query = select(Response).where(
        Response.phase_id == phase_id,
        Response.state == state,
        Response.instrument == instrument.value,
        Response.cluster == cluster.value,
    )
    return (await session.exec(query)).first()


async def save_draft(
    session: AsyncSession,
    phase_id: str,
    state: str,
    instrument: Instrument,
    cluster: Cluster,
    answers: dict[str, Any],
) -> Response:
    questionnaire = await applicable_questionnaire(
        session, phase_id, state, instrument, cluster
    )
    _raise_if_any(answer_problems(questionnaire, answers), "draft has invalid answers")

    response = await find_response(session, phase_id, state, instrument, cluster)
    if response is None:
        response = Response(
            id=str(uuid.uuid4()),
            phase_id=phase_id,
            state=state,
            instrument=instrument.value,
            cluster=cluster.value,
            questionnaire_id=questionnaire.id,
            answers=answers,
        )
    elif response.status == "submitted":
        raise Conflict(
            f"response {response.id} was already submitted and cannot be edited",
            current_state="submitted",
            allowed=[],
        )
    else:
        response.answers = answers
        response.revision += 1
        response.updated_at = utcnow()
    session.add(response)
    await _flush_or_conflict(session, response)
    return response


async def _flush_or_conflict(session: AsyncSession, response: Response) -> None:
    # Two first saves of one response can race on PostgreSQL, where the
    # second sees no row yet; the unique key stops it here.
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            f"a draft of {response.state}'s {response.instrument}/{response.cluster} "
            "response was saved at the same time; reload it and retry",
            current_state="draft",
            allowed=["save_draft", "submit"],
        ) from None


async def submit(
    session: AsyncSession,
    phase_id: str,
    state: str,
    instrument: Instrument,
    cluster: Cluster,
) -> Response:
    questionnaire = await applicable_questionnaire(
        session, phase_id, state, instrument, cluster
    )
    response = await find_response(session, phase_id, state, instrument, cluster)
    if response is None:
        raise NotFound(
            f"no draft response of {state} for {instrument.value}/{cluster.value}; "
            "save a draft first"
        )
    if response.status == "submitted":
        raise Conflict(
            f"response {response.id} was already submitted at {response.submitted_at}",
            current_state="submitted",
            allowed=[],
        )
    _raise_if_any(
        completeness_problems(questionnaire, response.answers), "response is incomplete"
    )

    response.status = "submitted"
    response.submitted_at = utcnow()
    response.updated_at = response.submitted_at
    session.add(response)
    _record_submitted(session, response, questionnaire)
    return response


def _record_submitted(
    session: AsyncSession, response: Response, questionnaire: Questionnaire
) -> None:
    assert response.submitted_at is not None
    payload = QuestionnaireSubmitted(
        response_id=response.id,
        questionnaire_id=questionnaire.id,
        phase_id=response.phase_id,
        state=response.state,
        instrument=questionnaire.instrument,
        cluster=questionnaire.cluster,
        submitted_at=response.submitted_at,
    )
    subject = f"{response.state}/{response.instrument}"
    record_event(session, new_event(payload, source=SOURCE, subject=subject))


def _raise_if_any(problems: list[Problem], message: str) -> None:
    if problems:
        raise InvalidInput(
            f"{message}: {len(problems)} problem(s)",
            field=problems[0].field,
            problems=[{"field": p.field, "message": p.message} for p in problems],
        )
