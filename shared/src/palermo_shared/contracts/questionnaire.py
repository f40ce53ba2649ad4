"""Events of the questionnaire service: self-assessment questionnaires and responses."""

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
    """The first submission of a response; later ones are `...ResponseUpdated`."""

    response_id: str
    questionnaire_id: str
    phase_id: str
    state: str
    instrument: Instrument
    cluster: Cluster
    submitted_at: dt.datetime
    response_version: int = 1
    language: str | None = Field(
        default=None, description="ISO 639-1 code of the response's language"
    )


@event(
    "palermo.questionnaire.questionnaire_response_updated",
    version=1,
    topic=TOPIC_QUESTIONNAIRE,
)
class QuestionnaireResponseUpdated(EventPayload):
    """A new version of a submitted response, with the questions it changed."""

    response_id: str
    questionnaire_id: str
    phase_id: str
    state: str
    instrument: Instrument
    cluster: Cluster
    response_version: int
    previous_version: int
    changed_questions: list[str]
    changed_articles: list[int]
    language: str
    submitted_at: dt.datetime


class TechnicalAssistanceNeed(BaseModel):
    model_config = ConfigDict(frozen=True)

    article: int
    type: str = Field(description="legal_advice, legislative_drafting, ..., other")
    priority: Literal["high", "medium", "low"]
    description: str = ""


@event(
    "palermo.questionnaire.technical_assistance_needs_identified",
    version=1,
    topic=TOPIC_QUESTIONNAIRE,
)
class TechnicalAssistanceNeedsIdentified(EventPayload):
    """Every need a State stated in one submitted version of its response.

    The list replaces the needs of the response's earlier versions; it is
    empty when a new version withdraws them all.
    """

    response_id: str
    response_version: int
    phase_id: str
    state: str
    instrument: Instrument
    cluster: Cluster
    working_group: str
    needs: list[TechnicalAssistanceNeed]
    identified_at: dt.datetime
