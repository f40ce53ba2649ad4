"""HTTP request and response bodies of the questionnaire service."""

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from palermo_shared.reference.instruments import Cluster, Instrument


class QuestionPublic(BaseModel):
    id: str
    article: int
    text: str
    answer_schema: dict[str, Any]


class QuestionnairePublic(BaseModel):
    id: str
    instrument: Instrument
    cluster: Cluster
    version: int
    title: str
    questions: list[QuestionPublic]


class DraftSave(BaseModel):
    answers: dict[str, dict[str, Any]] = Field(
        description='Answers by question id, e.g. {"article-5": '
        '{"implementation": "partly", "explanation": "..."}}'
    )


class ResponsePublic(BaseModel):
    id: str
    phase_id: str
    state: str
    instrument: Instrument
    cluster: Cluster
    questionnaire_id: str
    status: str
    revision: int
    answers: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
