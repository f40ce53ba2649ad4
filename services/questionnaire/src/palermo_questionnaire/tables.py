"""Tables of the questionnaire service. None of them goes on the wire as is."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from palermo_shared.clock import utcnow


class PhaseScope(SQLModel, table=True):
    """A review phase as announced by the draw service."""

    __tablename__ = "phase_scope"

    phase_id: str = Field(primary_key=True, max_length=64)
    years: str = Field(max_length=16)
    clusters: list[str] = Field(sa_column=Column(JSON, nullable=False))
    instruments: list[str] = Field(sa_column=Column(JSON, nullable=False))
    draw_date: dt.date


class StateUnderReview(SQLModel, table=True):
    __tablename__ = "state_under_review"

    phase_id: str = Field(primary_key=True, max_length=64)
    instrument: str = Field(primary_key=True, max_length=40)
    state: str = Field(primary_key=True, max_length=3)


class Response(SQLModel, table=True):
    __tablename__ = "response"
    __table_args__ = (UniqueConstraint("phase_id", "state", "instrument", "cluster"),)

    id: str = Field(primary_key=True, max_length=64)
    phase_id: str = Field(index=True, max_length=64)
    state: str = Field(max_length=3)
    instrument: str = Field(max_length=40)
    cluster: str = Field(max_length=40)
    questionnaire_id: str = Field(max_length=100)
    status: str = Field(default="draft", max_length=20)
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    revision: int = 1
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    submitted_at: dt.datetime | None = None


MODELS = (PhaseScope, StateUnderReview, Response)
