"""Record the scope of a new phase and publish its questionnaires."""

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_questionnaire.domain.forms import (
    Questionnaire,
    has_cluster,
    questionnaire_for,
)
from palermo_questionnaire.events import SOURCE
from palermo_questionnaire.tables import PhaseScope, StateUnderReview
from palermo_shared.contracts import QuestionnairePublished, ReviewPhaseOpened
from palermo_shared.events import Envelope, EventPayload, new_event
from palermo_shared.inbox import Handler
from palermo_shared.outbox import record_event

logger = logging.getLogger(__name__)


def handler(questionnaire_version: int) -> Handler:
    """Return the handler that opens phases with one questionnaire version."""

    async def handle(
        session: AsyncSession, envelope: Envelope, payload: EventPayload
    ) -> None:
        assert isinstance(payload, ReviewPhaseOpened)
        await open_phase(session, envelope, payload, questionnaire_version)

    return handle


async def open_phase(
    session: AsyncSession,
    envelope: Envelope,
    phase: ReviewPhaseOpened,
    questionnaire_version: int,
) -> None:
    session.add(
        PhaseScope(
            phase_id=phase.phase_id,
            years=phase.years,
            clusters=[c.value for c in phase.clusters],
            instruments=[i.value for i in phase.instruments],
            draw_date=phase.draw_date,
            questionnaire_version=questionnaire_version,
        )
    )
    for instrument, states in phase.states_under_review.items():
        session.add_all(
            StateUnderReview(
                phase_id=phase.phase_id, instrument=instrument.value, state=state
            )
            for state in states
        )
        for cluster in phase.clusters:
            if has_cluster(instrument, cluster):
                form = questionnaire_for(
                    instrument,
                    cluster,
                    party_to_uncac=False,
                    version=questionnaire_version,
                )
                _publish(session, envelope, phase, form)
    logger.info(
        "phase %s opened with questionnaire version %d",
        phase.phase_id,
        questionnaire_version,
    )


def _publish(
    session: AsyncSession,
    cause: Envelope,
    phase: ReviewPhaseOpened,
    questionnaire: Questionnaire,
) -> None:
    """Publish the full list of articles; note a narrows it per State."""
    published = QuestionnairePublished(
        questionnaire_id=questionnaire.id,
        phase_id=phase.phase_id,
        instrument=questionnaire.instrument,
        cluster=questionnaire.cluster,
        version=questionnaire.version,
        articles=questionnaire.articles,
    )
    subject = f"phase/{phase.phase_id}/{questionnaire.id}"
    event = new_event(published, source=SOURCE, subject=subject, cause=cause)
    record_event(session, event)
