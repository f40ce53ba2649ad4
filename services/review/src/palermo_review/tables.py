"""Tables of the review service. None of them goes on the wire as is.

No table has a column for scores, grades or rankings: the mechanism ranks
no State.
"""

import datetime as dt

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
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
    state_under_review: str = Field(max_length=3, index=True)
    instrument: str = Field(max_length=40)
    cluster: str = Field(max_length=40)
    status: str = Field(max_length=30, index=True)
    regional_group: str | None = Field(default=None, max_length=60)
    reviewers: list[str] | None = Field(default=None, sa_column=Column(JSON))
    response_id: str | None = Field(default=None, max_length=64)
    lots_drawn_at: dt.datetime | None = None
    questionnaire_submitted_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    comment_period_started_at: dt.datetime | None = None
    comments_waived: bool = False
    completed_at: dt.datetime | None = None
    summary: str | None = None
    summary_revision: int = 0
    summary_published: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow)


class StageChange(SQLModel, table=True):
    """One transition of a review, the history behind the evaluation figures."""

    __tablename__ = "stage_change"

    id: int | None = Field(default=None, primary_key=True)
    review_id: str = Field(foreign_key="desk_review.id", index=True, max_length=64)
    from_stage: str = Field(max_length=30)
    to_stage: str = Field(max_length=30)
    changed_at: dt.datetime


class PhaseFocalPoint(SQLModel, table=True):
    """A State's focal point for every review of a phase without its own."""

    __tablename__ = "phase_focal_point"

    phase_id: str = Field(primary_key=True, max_length=64)
    state: str = Field(primary_key=True, max_length=3)
    subject: str = Field(max_length=200)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    named_at: dt.datetime


class ReviewFocalPoint(SQLModel, table=True):
    """A State's focal point for one review, replacing the phase's one."""

    __tablename__ = "review_focal_point"

    review_id: str = Field(
        foreign_key="desk_review.id", primary_key=True, max_length=64
    )
    state: str = Field(primary_key=True, max_length=3)
    subject: str = Field(max_length=200)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    named_at: dt.datetime


class Expert(SQLModel, table=True):
    """A governmental expert that a State appointed for one review."""

    __tablename__ = "expert"
    __table_args__ = (UniqueConstraint("review_id", "subject"),)

    id: str = Field(primary_key=True, max_length=64)
    review_id: str = Field(foreign_key="desk_review.id", index=True, max_length=64)
    state: str = Field(max_length=3)
    subject: str = Field(max_length=200)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    languages: list[str] = Field(sa_column=Column(JSON, nullable=False))
    expertise: str = Field(max_length=2000)
    appointed_by: str = Field(max_length=200)
    appointed_at: dt.datetime


class Observation(SQLModel, table=True):
    __tablename__ = "observation"

    id: str = Field(primary_key=True, max_length=64)
    review_id: str = Field(foreign_key="desk_review.id", index=True, max_length=64)
    reviewer: str = Field(max_length=3)
    article: int
    kind: str = Field(max_length=40)
    text: str
    author: str | None = Field(default=None, max_length=200)
    published: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow)


class Agreement(SQLModel, table=True):
    """A reviewing State's agreement to the final observations of a review."""

    __tablename__ = "agreement"

    review_id: str = Field(
        foreign_key="desk_review.id", primary_key=True, max_length=64
    )
    state: str = Field(primary_key=True, max_length=3)
    agreed_by: str = Field(max_length=200)
    agreed_at: dt.datetime
    cleared_by: str | None = Field(default=None, max_length=200)
    cleared_at: dt.datetime | None = None


class StateComment(SQLModel, table=True):
    """The State under review's comments on the final observations."""

    __tablename__ = "state_comment"

    review_id: str = Field(
        foreign_key="desk_review.id", primary_key=True, max_length=64
    )
    text: str
    written_by: str = Field(max_length=200)
    written_at: dt.datetime
    cleared_by: str | None = Field(default=None, max_length=200)
    cleared_at: dt.datetime | None = None


class InformationRequest(SQLModel, table=True):
    """A request for supplementary information or clarification."""

    __tablename__ = "information_request"

    id: str = Field(primary_key=True, max_length=64)
    review_id: str = Field(foreign_key="desk_review.id", index=True, max_length=64)
    kind: str = Field(max_length=40)
    from_state: str = Field(max_length=3)
    text: str
    due_date: dt.date
    requested_by: str = Field(max_length=200)
    requested_at: dt.datetime


class RequestMessage(SQLModel, table=True):
    """An answer or a clarification message under a request."""

    __tablename__ = "request_message"

    id: str = Field(primary_key=True, max_length=64)
    request_id: str = Field(
        foreign_key="information_request.id", index=True, max_length=64
    )
    kind: str = Field(max_length=20)
    state: str | None = Field(default=None, max_length=3)
    text: str
    written_by: str = Field(max_length=200)
    written_at: dt.datetime


class Attachment(SQLModel, table=True):
    """A file attached to an answer; the bytes stay in the database."""

    __tablename__ = "attachment"

    id: str = Field(primary_key=True, max_length=64)
    message_id: str = Field(foreign_key="request_message.id", index=True, max_length=64)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: str = Field(max_length=200)
    uploaded_at: dt.datetime


class VirtualMeeting(SQLModel, table=True):
    __tablename__ = "virtual_meeting"

    id: str = Field(primary_key=True, max_length=64)
    review_id: str = Field(foreign_key="desk_review.id", index=True, max_length=64)
    date: dt.date
    participants: list[str] = Field(sa_column=Column(JSON, nullable=False))
    minutes: str
    recorded_by: str = Field(max_length=200)
    recorded_at: dt.datetime


class SummaryTranslation(SQLModel, table=True):
    """The summary in one official language, and the revision it translates."""

    __tablename__ = "summary_translation"

    review_id: str = Field(
        foreign_key="desk_review.id", primary_key=True, max_length=64
    )
    language: str = Field(primary_key=True, max_length=2)
    text: str
    source_revision: int
    translated_by: str = Field(max_length=200)
    translated_at: dt.datetime


class DeadlineExtension(SQLModel, table=True):
    __tablename__ = "deadline_extension"

    id: str = Field(primary_key=True, max_length=64)
    review_id: str = Field(foreign_key="desk_review.id", index=True, max_length=64)
    stage: str = Field(max_length=30)
    days: int
    reason: str
    extended_by: str = Field(max_length=200)
    extended_at: dt.datetime


class DeadlineNotice(SQLModel, table=True):
    """A reminder or overdue event already published for one stage and due date."""

    __tablename__ = "deadline_notice"
    __table_args__ = (UniqueConstraint("review_id", "stage", "due_at", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: str = Field(foreign_key="desk_review.id", index=True, max_length=64)
    stage: str = Field(max_length=30)
    due_at: dt.datetime
    kind: str = Field(max_length=20)
    published_at: dt.datetime


class GatewayAccount(SQLModel, table=True):
    """An account of the gateway's registry, from its activation and end events."""

    __tablename__ = "gateway_account"

    id: str = Field(primary_key=True, max_length=64)
    # secretariat, focal_point, expert or observer.
    role: str = Field(max_length=20)
    # ISO 3166-1 alpha-3 code; None for the Secretariat and observers.
    state: str | None = Field(default=None, max_length=3)
    ended_at: dt.datetime | None = None


MODELS = (
    DeskReview,
    StageChange,
    PhaseFocalPoint,
    ReviewFocalPoint,
    Expert,
    Observation,
    Agreement,
    StateComment,
    InformationRequest,
    RequestMessage,
    Attachment,
    VirtualMeeting,
    SummaryTranslation,
    DeadlineExtension,
    DeadlineNotice,
    GatewayAccount,
)
