"""Events recorded when a response is submitted, in the submitting transaction."""

import logging
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_questionnaire.domain.answers import Kind
from palermo_questionnaire.domain.forms import Questionnaire
from palermo_questionnaire.domain.rules import differences
from palermo_questionnaire.tables import Response, ResponseVersion
from palermo_shared.contracts.questionnaire import (
    QuestionnaireResponseUpdated,
    QuestionnaireSubmitted,
    TechnicalAssistanceNeed,
    TechnicalAssistanceNeedsIdentified,
)
from palermo_shared.events import EventPayload, new_event
from palermo_shared.outbox import record_event
from palermo_shared.reference.instruments import WORKING_GROUPS

logger = logging.getLogger(__name__)

SOURCE = "/palermo/questionnaire"


def record_submission(
    session: AsyncSession,
    response: Response,
    questionnaire: Questionnaire,
    previous: ResponseVersion | None,
) -> None:
    """Record the submission or update, then the assistance needs if any changed.

    Needs are published when the version states some, or when the previous
    version stated some, so that a withdrawal reaches consumers too.
    """
    if previous is None:
        _record(session, response, _submitted(response, questionnaire))
    else:
        _record(session, response, _updated(response, questionnaire, previous))

    needs = assistance_needs(questionnaire, response.answers)
    had_needs = previous is not None and assistance_needs(
        questionnaire, previous.answers
    )
    if needs or had_needs:
        _record(session, response, _needs_identified(response, questionnaire, needs))


def assistance_needs(
    questionnaire: Questionnaire, answers: dict[str, Any]
) -> list[TechnicalAssistanceNeed]:
    """List the technical assistance needs stated in `answers`, by article."""
    return [
        TechnicalAssistanceNeed(
            article=question.article,
            type=need["type"],
            priority=need["priority"],
            description=need.get("description", ""),
        )
        for question in questionnaire.questions
        if question.kind is Kind.ASSISTANCE_NEEDS and question.id in answers
        for need in answers[question.id]["value"]
    ]


def _record(session: AsyncSession, response: Response, payload: EventPayload) -> None:
    subject = f"{response.state}/{response.instrument}"
    record_event(session, new_event(payload, source=SOURCE, subject=subject))
    logger.info(
        "response %s version %d: %s recorded",
        response.id,
        response.version,
        payload.event_type,
    )


def _submitted(
    response: Response, questionnaire: Questionnaire
) -> QuestionnaireSubmitted:
    assert response.submitted_at is not None
    return QuestionnaireSubmitted(
        response_id=response.id,
        questionnaire_id=questionnaire.id,
        phase_id=response.phase_id,
        state=response.state,
        instrument=questionnaire.instrument,
        cluster=questionnaire.cluster,
        submitted_at=response.submitted_at,
        response_version=response.version,
        language=response.language,
    )


def _updated(
    response: Response, questionnaire: Questionnaire, previous: ResponseVersion
) -> QuestionnaireResponseUpdated:
    assert response.submitted_at is not None
    changes = differences(questionnaire, previous.answers, response.answers)
    return QuestionnaireResponseUpdated(
        response_id=response.id,
        questionnaire_id=questionnaire.id,
        phase_id=response.phase_id,
        state=response.state,
        instrument=questionnaire.instrument,
        cluster=questionnaire.cluster,
        response_version=response.version,
        previous_version=previous.version,
        changed_questions=[c.question_id for c in changes],
        changed_articles=sorted({c.article for c in changes}),
        language=response.language,
        submitted_at=response.submitted_at,
    )


def _needs_identified(
    response: Response,
    questionnaire: Questionnaire,
    needs: list[TechnicalAssistanceNeed],
) -> TechnicalAssistanceNeedsIdentified:
    assert response.submitted_at is not None
    return TechnicalAssistanceNeedsIdentified(
        response_id=response.id,
        response_version=response.version,
        phase_id=response.phase_id,
        state=response.state,
        instrument=questionnaire.instrument,
        cluster=questionnaire.cluster,
        working_group=WORKING_GROUPS[questionnaire.instrument].value,
        needs=needs,
        identified_at=response.submitted_at,
    )
