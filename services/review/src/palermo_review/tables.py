"""Tables of the review service. None of them goes on the wire as is."""

import datetime as dt

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from palermo_shared.clock import utcnow


class DeskReview(SQLModel, table=True):
    """One desk review: a State under review, an instrument and a cluster."""

    __tablename__ = "desk_review"
    __table_args__ = (
        UniqueConstraint("phase_id", "state_under_review", "instrument", "cluster"),
    )

    id: str = Field(primary_key=True, max_length=64)
    phase_id: str = Field(index=True, max_length=64)
    state_under_review: str = Field(max_length=3)
    instrument: str = Field(max_length=40)
    cluster: str = Field(max_length=40)
    status: str = Field(max_length=30, index=True)
    reviewers: list[str] | None = Field(default=None, sa_column=Column(JSON))
    response_id: str | None = Field(default=None, max_length=64)
    lots_drawn_at: dt.datetime | None = None
    questionnaire_submitted_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    summary: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)


class Observation(SQLModel, table=True):
    __tablename__ = "observation"

    id: str = Field(primary_key=True, max_length=64)
    review_id: str = Field(foreign_key="desk_review.id", index=True, max_length=64)
    reviewer: str = Field(max_length=3)
    article: int
    kind: str = Field(max_length=40)
    text: str
    created_at: dt.datetime = Field(default_factory=utcnow)


MODELS = (DeskReview, Observation)
