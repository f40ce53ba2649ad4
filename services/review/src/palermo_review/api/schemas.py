"""HTTP request and response bodies of the review service.

No schema has a field for scores, grades or rankings: the mechanism ranks
no State.
"""

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from palermo_review.domain.workflow import ReviewStatus
from palermo_shared.reference.instruments import Cluster, Instrument

ObservationKind = Literal["good_practice", "difficulty", "technical_assistance_need"]


class ReviewPublic(BaseModel):
    id: str
    phase_id: str
    state_under_review: str
    instrument: Instrument
    cluster: Cluster
    status: ReviewStatus
    reviewers: list[str] | None
    response_id: str | None
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    summary: str | None


class ReviewPage(BaseModel):
    total: int
    items: list[ReviewPublic]


class ObservationCreate(BaseModel):
    reviewer: str = Field(pattern="^[A-Z]{3}$", description="Reviewing State, alpha-3")
    article: int = Field(gt=0)
    kind: ObservationKind
    text: str = Field(min_length=1, max_length=20_000)


class ObservationPublic(BaseModel):
    id: str
    review_id: str
    reviewer: str
    article: int
    kind: ObservationKind
    text: str
    created_at: dt.datetime


class CompletionRequest(BaseModel):
    summary: str = Field(min_length=1, max_length=50_000)
