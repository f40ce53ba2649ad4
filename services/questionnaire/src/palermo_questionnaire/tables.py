"""Tables of the questionnaire service. None of them goes on the wire as is."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from palermo_shared.assignments import ReviewerAssignment
from palermo_shared.clock import utcnow


class PhaseScope(SQLModel, table=True):
    """A review phase as announced by the draw service."""

    __tablename__ = "phase_scope"

    phase_id: str = Field(primary_key=True, max_length=64)
    years: str = Field(max_length=16)
    clusters: list[str] = Field(sa_column=Column(JSON, nullable=False))
    instruments: list[str] = Field(sa_column=Column(JSON, nullable=False))
    draw_date: dt.date
    questionnaire_version: int


class StateUnderReview(SQLModel, table=True):
    __tablename__ = "state_under_review"

    phase_id: str = Field(primary_key=True, max_length=64)
    instrument: str = Field(primary_key=True, max_length=40)
    state: str = Field(primary_key=True, max_length=3)


class Response(SQLModel, table=True):
    """The working copy of one State's response: a draft or the last submission.

    `revision` counts every change and makes the ETag; `version` is the
    number of the submission this copy is or will become.
    """

    __tablename__ = "response"
    __table_args__ = (UniqueConstraint("phase_id", "state", "instrument", "cluster"),)

    id: str = Field(primary_key=True, max_length=64)
    phase_id: str = Field(index=True, max_length=64)
    state: str = Field(max_length=3)
    instrument: str = Field(max_length=40)
    cluster: str = Field(max_length=40)
    questionnaire_id: str = Field(max_length=100)
    questionnaire_version: int
    language: str = Field(max_length=8)
    status: str = Field(default="draft", max_length=20)
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    revision: int = 1
    version: int = 1
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    submitted_at: dt.datetime | None = None


class ResponseVersion(SQLModel, table=True):
    """One submitted version of a response; never changed once written."""

    __tablename__ = "questionnaire_response_version"

    response_id: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    questionnaire_id: str = Field(max_length=100)
    language: str = Field(max_length=8)
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    submitted_at: dt.datetime


class Contribution(SQLModel, table=True):
    """A stakeholder's contribution from the national consultation."""

    __tablename__ = "questionnaire_contribution"

    id: str = Field(primary_key=True, max_length=64)
    response_id: str = Field(index=True, max_length=64)
    category: str = Field(max_length=40)
    organization: str = Field(max_length=300)
    summary: str
    articles: list[int] = Field(sa_column=Column(JSON, nullable=False))
    received_on: dt.date | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)


class Attachment(SQLModel, table=True):
    """A document uploaded for a response, cited by attachment answers."""

    __tablename__ = "questionnaire_attachment"

    id: str = Field(primary_key=True, max_length=64)
    phase_id: str = Field(max_length=64)
    state: str = Field(max_length=3)
    instrument: str = Field(max_length=40)
    cluster: str = Field(max_length=40)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=200)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)


MODELS = (
    PhaseScope,
    StateUnderReview,
    Response,
    ResponseVersion,
    Contribution,
    Attachment,
    ReviewerAssignment,
)
