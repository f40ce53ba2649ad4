"""Question kinds and the shape of an answer to each; no I/O.

Every answer is a JSON object whose `value` contains the answer itself; some
kinds add fields (an explanation, a reference year). Strings and numbers are
strict, so `"12"` is not a number and `12` is not a text.
"""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
)

from palermo_shared.text import MULTI_LINE

TEXT_MAX_LENGTH = 20_000
# The largest integer that a JavaScript client, such as a browser, reads
# from JSON without rounding it.
COUNT_MAX = 2**53 - 1
LIST_MAX_ITEMS = 100
Text = Annotated[StrictStr, MULTI_LINE]


class Kind(StrEnum):
    CHOICE = "yes_partly_no"
    TEXT = "text"
    CITATIONS = "citations"
    NUMBER = "number"
    ATTACHMENTS = "attachments"
    ASSISTANCE_NEEDS = "assistance_needs"


CHOICES = ("yes", "partly", "no")


class AssistanceType(StrEnum):
    LEGAL_ADVICE = "legal_advice"
    LEGISLATIVE_DRAFTING = "legislative_drafting"
    MODEL_LEGISLATION = "model_legislation"
    GOOD_PRACTICES = "good_practices"
    ACTION_PLAN = "action_plan"
    ON_SITE_EXPERT = "on_site_expert"
    CAPACITY_BUILDING = "capacity_building"
    TECHNOLOGY = "technology"
    OTHER = "other"


class Priority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class _AnswerModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ChoiceAnswer(_AnswerModel):
    value: Literal["yes", "partly", "no"]
    explanation: Text = Field(default="", max_length=TEXT_MAX_LENGTH)


class TextAnswer(_AnswerModel):
    value: Text = Field(max_length=TEXT_MAX_LENGTH)


class Citation(_AnswerModel):
    """A law, regulation or court case that implements the article."""

    kind: Literal["law", "case", "other"]
    title: Text = Field(min_length=1, max_length=500)
    reference: Text = Field(
        default="", max_length=200, description="Article, section or case number"
    )
    year: StrictInt | None = Field(default=None, ge=1800, le=2200)
    url: Text = Field(default="", max_length=2000)
    excerpt: Text = Field(default="", max_length=TEXT_MAX_LENGTH)


class CitationsAnswer(_AnswerModel):
    value: list[Citation] = Field(max_length=LIST_MAX_ITEMS)


class NumberAnswer(_AnswerModel):
    """A count, such as convictions or requests received in a year."""

    value: StrictInt = Field(ge=0, le=COUNT_MAX, description="A whole number")
    reference_year: StrictInt | None = Field(default=None, ge=1900, le=2200)
    note: Text = Field(default="", max_length=2000)


class AttachmentsAnswer(_AnswerModel):
    value: list[StrictStr] = Field(
        max_length=LIST_MAX_ITEMS, description="Ids of attachments of this response"
    )


class AssistanceNeed(_AnswerModel):
    type: AssistanceType
    priority: Priority
    description: Text = Field(default="", max_length=2000)


class AssistanceNeedsAnswer(_AnswerModel):
    value: list[AssistanceNeed] = Field(max_length=len(AssistanceType))


ANSWER_MODELS: dict[Kind, type[_AnswerModel]] = {
    Kind.CHOICE: ChoiceAnswer,
    Kind.TEXT: TextAnswer,
    Kind.CITATIONS: CitationsAnswer,
    Kind.NUMBER: NumberAnswer,
    Kind.ATTACHMENTS: AttachmentsAnswer,
    Kind.ASSISTANCE_NEEDS: AssistanceNeedsAnswer,
}
