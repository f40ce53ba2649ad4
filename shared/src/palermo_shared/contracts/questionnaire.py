"""Events of the questionnaire service: self-assessment questionnaires and responses."""

import datetime as dt

from palermo_shared.events import TOPIC_QUESTIONNAIRE, EventPayload, event
from palermo_shared.reference.instruments import Cluster, Instrument


@event(
    "palermo.questionnaire.questionnaire_published",
    version=1,
    topic=TOPIC_QUESTIONNAIRE,
)
class QuestionnairePublished(EventPayload):
    questionnaire_id: str
    phase_id: str
    instrument: Instrument
    cluster: Cluster
    version: int
    articles: list[int]


@event(
    "palermo.questionnaire.questionnaire_submitted",
    version=1,
    topic=TOPIC_QUESTIONNAIRE,
)
class QuestionnaireSubmitted(EventPayload):
    response_id: str
    questionnaire_id: str
    phase_id: str
    state: str
    instrument: Instrument
    cluster: Cluster
    submitted_at: dt.datetime
