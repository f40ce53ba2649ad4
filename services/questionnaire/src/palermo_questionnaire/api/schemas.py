"""HTTP request and response bodies of the questionnaire service."""

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictInt

from palermo_questionnaire.domain.labels import Language
from palermo_shared.dates import PastDate
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.request_body import RequestBody, distinct
from palermo_shared.text import NOT_BLANK, MultiLineText, SingleLineText

ContributorCategory = Literal[
    "private_sector", "non_governmental_organization", "academia", "other"
]


class OptionPublic(BaseModel):
    value: str
    label: str


class ConditionPublic(BaseModel):
    question_id: str
    values: list[str]


class QuestionPublic(BaseModel):
    id: str
    article: int
    kind: str
    label: str
    required: bool = Field(description="Required whenever the question is shown")
    shown_when: ConditionPublic | None = Field(
        description="Shown only when this other answer has one of these values"
    )
    explanation_required_for: list[str]
    explanation_label: str | None
    options: list[OptionPublic]
    priorities: list[OptionPublic]


class SectionPublic(BaseModel):
    article: int
    title: str
    questions: list[QuestionPublic]


class QuestionnairePublic(BaseModel):
    id: str
    instrument: Instrument
    cluster: Cluster
    version: int
    title: str
    language: Language
    fallback_labels: list[str] = Field(
        description="Label keys shown in English because no translation exists"
    )
    sections: list[SectionPublic]
    answer_schemas: dict[str, dict[str, Any]] = Field(
        description="JSON Schema of the answer to each question kind"
    )


class DraftSave(RequestBody):
    answers: dict[str, Any] = Field(
        description='Answers by question id, e.g. {"article-5.implementation": '
        '{"value": "partly", "explanation": "..."}}'
    )
    language: Language | None = Field(
        default=None,
        description="Language of the answers; by default the one of `lang` "
        "or Accept-Language",
    )


class ResponsePublic(BaseModel):
    id: str
    phase_id: str
    state: str
    instrument: Instrument
    cluster: Cluster
    questionnaire_id: str
    questionnaire_version: int
    language: Language
    status: str
    revision: int
    version: int = Field(description="Number of the version this copy is or will be")
    answers: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None


class VersionSummary(BaseModel):
    version: int
    questionnaire_id: str
    language: Language
    submitted_at: dt.datetime


class VersionPublic(VersionSummary):
    answers: dict[str, Any]


class ChangePublic(BaseModel):
    question_id: str
    article: int
    change: Literal["added", "removed", "changed"]
    before: Any
    after: Any


class DiffPublic(BaseModel):
    version: int
    against: int
    changes: list[ChangePublic]


class ContributionCreate(RequestBody):
    category: ContributorCategory
    organization: Annotated[SingleLineText, NOT_BLANK] = Field(
        min_length=1, max_length=300
    )
    summary: Annotated[MultiLineText, NOT_BLANK] = Field(
        min_length=1, max_length=20_000
    )
    articles: Annotated[list[StrictInt], AfterValidator(distinct)] = Field(
        default_factory=list,
        max_length=100,
        description="Articles the contribution concerns",
    )
    received_on: PastDate | None = None


class ContributionPublic(BaseModel):
    """A stored contribution, read back without the checks of a new one.

    Rows stored before a check was added are still listed.
    """

    category: ContributorCategory
    organization: str
    summary: str
    articles: list[int]
    received_on: dt.date | None
    id: str
    created_at: dt.datetime


class AttachmentPublic(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int = Field(description="Size in bytes")
    sha256: str
    created_at: dt.datetime


class StatementPublic(BaseModel):
    state: str
    state_name: str
    text: str


class NeedPublic(BaseModel):
    state: str
    state_name: str
    type: str
    priority: str
    description: str


class OverviewGroup(BaseModel):
    instrument: Instrument
    cluster: Cluster
    article: int
    regional_group: str
    responses: int = Field(description="Submitted responses that ask this article")
    difficulties: list[StatementPublic]
    good_practices: list[StatementPublic]
    assistance_needs: list[NeedPublic]
    assistance_needs_by_type: dict[str, dict[str, int]] = Field(
        description="Number of needs by type, then priority"
    )


class OverviewPublic(BaseModel):
    phase_id: str
    groups: list[OverviewGroup]
