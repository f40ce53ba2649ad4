"""Record the scope of a new phase and publish its questionnaires."""

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_questionnaire.domain.forms import has_cluster, questionnaire_for
from palermo_questionnaire.tables import PhaseScope, StateUnderReview
from palermo_shared.contracts import QuestionnairePublished, ReviewPhaseOpened
from palermo_shared.events import Envelope, EventPayload, new_event
from palermo_shared.outbox import record_event
from palermo_shared.reference.instruments import Cluster, Instrument

SOURCE = "/palermo/questionnaire"


async def handle(
    session: AsyncSession, envelope: Envelope, payload: EventPayload
) -> None:
    assert isinstance(payload, ReviewPhaseOpened)
    session.add(
        PhaseScope(
            phase_id=payload.phase_id,
            years=payload.years,
            clusters=[c.value for c in payload.clusters],
            instruments=[i.value for i in payload.instruments],
            draw_date=payload.draw_date,
        )
    )
    for instrument, states in payload.states_under_review.items():
        session.add_all(
            StateUnderReview(
                phase_id=payload.phase_id, instrument=instrument.value, state=state
            )
            for state in states
        )
        for cluster in payload.clusters:
            _publish_questionnaire(session, envelope, payload, instrument, cluster)


def _publish_questionnaire(
    session: AsyncSession,
    cause: Envelope,
    phase: ReviewPhaseOpened,
    instrument: Instrument,
    cluster: Cluster,
) -> None:
    if not has_cluster(instrument, cluster):
        return
    # The full list of articles; note a narrows it per State when answering.
    questionnaire = questionnaire_for(instrument, cluster, party_to_uncac=False)
    published = QuestionnairePublished(
        questionnaire_id=questionnaire.id,
        phase_id=phase.phase_id,
        instrument=instrument,
        cluster=cluster,
        version=questionnaire.version,
        articles=[q.article for q in questionnaire.questions],
    )
    subject = f"phase/{phase.phase_id}/{questionnaire.id}"
    event = new_event(published, source=SOURCE, subject=subject, cause=cause)
    record_event(session, event)
