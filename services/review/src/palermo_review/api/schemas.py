"""HTTP request and response bodies of the review service.

No schema has a field for scores, grades or rankings: the mechanism ranks
no State.
"""

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Field,
    StrictBool,
    StrictInt,
)

from palermo_review.domain.deadlines import DeadlineStage
from palermo_review.domain.workflow import ReviewStatus
from palermo_shared.dates import DATETIME_TEXT, MechanismDate
from palermo_shared.db import MAX_STORED_INT
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.request_body import RequestBody, distinct
from palermo_shared.text import MULTI_LINE, NOT_BLANK, SINGLE_LINE, SingleLineText

ObservationKind = Literal["good_practice", "difficulty", "technical_assistance_need"]
OfficialLanguage = Literal["ar", "zh", "en", "fr", "ru", "es"]
RequestKind = Literal["supplementary_information", "clarification"]
MessageKind = Literal["answer", "clarification"]
Iso3 = Field(pattern="^[A-Z]{3}$", description="ISO 3166-1 alpha-3 code")
Subject = Field(min_length=1, max_length=200, description="the token's `sub` claim")
# Text a person writes, on one line or several.
Text = Annotated[str, NOT_BLANK, MULTI_LINE]
# One participant of a meeting: a name, with the function or State if needed.
ParticipantName = Annotated[str, NOT_BLANK, SINGLE_LINE, Field(max_length=200)]


class FocalPointPublic(BaseModel):
    state: str
    subject: str
    name: str
    email: str
    named_at: dt.datetime
    scope: Literal["phase", "review"]


class DeadlinePublic(BaseModel):
    stage: DeadlineStage
    due_at: dt.datetime
    met_at: dt.datetime | None
    extended_days: int
    pending_states: list[str]
    overdue: bool
    days_overdue: int


class ReviewPublic(BaseModel):
    id: str
    phase_id: str
    state_under_review: str
    instrument: Instrument
    cluster: Cluster
    status: ReviewStatus
    regional_group: str | None
    reviewers: list[str] | None
    response_id: str | None
    started_at: dt.datetime | None
    comment_period_started_at: dt.datetime | None
    comments_waived: bool
    completed_at: dt.datetime | None
    summary: str | None
    summary_revision: int


class ReviewDetail(ReviewPublic):
    focal_points: list[FocalPointPublic]
    deadlines: list[DeadlinePublic]
    overdue: bool
    comment_period_ends_at: dt.datetime | None
    missing_for_completion: list[str]


class ReviewPage(BaseModel):
    total: int
    items: list[ReviewPublic]


class PersonIn(RequestBody):
    subject: SingleLineText = Subject
    name: Annotated[str, NOT_BLANK, SINGLE_LINE] = Field(min_length=1, max_length=200)
    email: SingleLineText = Field(
        max_length=254,
        pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$",
        description="e-mail",
    )


class StateFocalPoint(PersonIn):
    state: SingleLineText = Iso3


class PhaseFocalPoints(RequestBody):
    focal_points: list[StateFocalPoint] = Field(min_length=1, max_length=500)


class ExpertIn(PersonIn):
    languages: list[OfficialLanguage] = Field(min_length=1, max_length=6)
    expertise: Text = Field(min_length=1, max_length=2000)


class ExpertAppointment(ExpertIn):
    review_ids: list[SingleLineText] = Field(min_length=1, max_length=500)


class ExpertPublic(BaseModel):
    id: str
    review_id: str
    state: str
    subject: str
    name: str
    email: str
    languages: list[str]
    expertise: str
    appointed_by: str
    appointed_at: dt.datetime


class ObservationCreate(RequestBody):
    # Strict, so that "5" or true is not taken for an article number.
    article: StrictInt = Field(gt=0, le=MAX_STORED_INT)
    kind: ObservationKind
    text: Text = Field(min_length=1, max_length=20_000)


class ObservationPublic(BaseModel):
    id: str
    review_id: str
    reviewer: str
    article: int
    kind: ObservationKind
    text: str
    published: bool
    created_at: dt.datetime


class EarlierObservation(BaseModel):
    review_id: str
    phase_id: str
    instrument: Instrument
    cluster: Cluster
    completed_at: dt.datetime | None
    article: int
    kind: ObservationKind
    text: str


class AgreementPublic(BaseModel):
    state: str
    agreed_by: str
    agreed_at: dt.datetime
    cleared_by: str | None
    cleared_at: dt.datetime | None


class CommentCreate(RequestBody):
    text: Text = Field(min_length=1, max_length=50_000)


class CommentPublic(BaseModel):
    review_id: str
    text: str
    written_by: str
    written_at: dt.datetime
    cleared_by: str | None
    cleared_at: dt.datetime | None


class CompletionRequest(RequestBody):
    summary: Text | None = Field(default=None, min_length=1, max_length=50_000)


class SummaryUpdate(RequestBody):
    summary: Text = Field(min_length=1, max_length=50_000)


class TranslationIn(RequestBody):
    text: Text = Field(min_length=1, max_length=50_000)


class TranslationPublic(BaseModel):
    language: str
    text: str
    source_revision: int
    current: bool
    translated_at: dt.datetime


class SummaryPublic(BaseModel):
    summary: str | None
    revision: int
    published: bool
    translations: list[TranslationPublic]
    languages_missing: list[str]


class PublicationDecision(RequestBody):
    summary: StrictBool
    observation_ids: list[SingleLineText] = Field(default_factory=list, max_length=1000)


class PublishedOutcome(BaseModel):
    review_id: str
    phase_id: str
    state_under_review: str
    instrument: Instrument
    cluster: Cluster
    completed_at: dt.datetime | None
    summary: str | None
    translations: list[TranslationPublic]
    observations: list[ObservationPublic]


class InformationRequestCreate(RequestBody):
    kind: RequestKind
    text: Text = Field(min_length=1, max_length=20_000)
    due_date: MechanismDate


class MessageCreate(RequestBody):
    kind: MessageKind
    text: Text = Field(min_length=1, max_length=50_000)


class AttachmentPublic(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int
    uploaded_by: str
    uploaded_at: dt.datetime


class MessagePublic(BaseModel):
    id: str
    request_id: str
    kind: MessageKind
    state: str | None
    text: str
    written_by: str
    written_at: dt.datetime
    attachments: list[AttachmentPublic] = []


class InformationRequestPublic(BaseModel):
    id: str
    review_id: str
    kind: RequestKind
    from_state: str
    text: str
    due_date: dt.date
    requested_by: str
    requested_at: dt.datetime
    messages: list[MessagePublic] = []


class MeetingCreate(RequestBody):
    date: MechanismDate
    participants: Annotated[list[ParticipantName], AfterValidator(distinct)] = Field(
        min_length=1, max_length=100
    )
    minutes: Text = Field(min_length=1, max_length=100_000)


class MeetingPublic(BaseModel):
    id: str
    review_id: str
    date: dt.date
    participants: list[str]
    minutes: str
    recorded_by: str
    recorded_at: dt.datetime


class ExtensionCreate(RequestBody):
    stage: DeadlineStage
    days: StrictInt = Field(gt=0, le=366)
    reason: Text = Field(min_length=1, max_length=2000)


class ExtensionPublic(BaseModel):
    id: str
    review_id: str
    stage: DeadlineStage
    days: int
    reason: str
    extended_by: str
    extended_at: dt.datetime


class DeadlineCheck(RequestBody):
    at: Annotated[AwareDatetime, DATETIME_TEXT] | None = Field(
        default=None,
        description="time to check at, with its time zone, not after now; "
        "now when absent",
    )


class DeadlineCheckResult(BaseModel):
    at: dt.datetime
    reminders: int
    overdue: int


class EvaluationGroup(BaseModel):
    working_group: str
    instrument: Instrument
    cluster: Cluster
    reviews: int
    completed: int
    information_requests: int
    mean_days_in_stage: dict[str, float]
    reviews_in_stage: dict[str, int]


class Evaluation(BaseModel):
    phase_id: str
    at: dt.datetime
    groups: list[EvaluationGroup]


class TrendRow(BaseModel):
    working_group: str
    instrument: Instrument
    cluster: Cluster
    article: int
    kind: ObservationKind
    observations: int


class Trends(BaseModel):
    phase_id: str | None
    by_kind: dict[str, int]
    by_instrument: dict[str, int]
    by_cluster: dict[str, int]
    rows: list[TrendRow]
