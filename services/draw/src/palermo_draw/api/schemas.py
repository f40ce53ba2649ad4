"""HTTP request and response bodies of the draw service."""

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StrictInt,
    StringConstraints,
    field_validator,
)

from palermo_draw.domain.model import DrawMode
from palermo_draw.record import AssignmentRecord
from palermo_shared.contracts.draw import ExceptionalDecision
from palermo_shared.dates import CountDate, MechanismDate, PastDate
from palermo_shared.reference.instruments import (
    WORKPLAN,
    Cluster,
    Instrument,
    WorkingGroup,
)
from palermo_shared.request_body import RequestBody, distinct
from palermo_shared.text import (
    MULTI_LINE,
    NOT_BLANK,
    SINGLE_LINE,
    SingleLineText,
    not_blank,
)

StateCode = Annotated[
    str,
    StringConstraints(pattern="^[A-Z]{3}$"),
    Field(description="ISO 3166-1 alpha-3 code, upper case"),
]
REVIEW_PERIODS = tuple(years for years, period in WORKPLAN.items() if period.clusters)


class PartyStatusPublic(BaseModel):
    deposit_date: dt.date | None = Field(
        description="Deposit date; null when a source states the party without a date"
    )


class StatePublic(BaseModel):
    iso3: str
    name: str
    regional_group: str | None
    legal_system: str | None
    instruments: dict[Instrument, PartyStatusPublic]
    uncac: PartyStatusPublic | None


class PhaseCreate(RequestBody):
    years: SingleLineText = Field(
        default="III-VI",
        description=f"Workplan period to review, one of {', '.join(REVIEW_PERIODS)}",
    )
    instruments: list[Instrument] = Field(default_factory=lambda: list(Instrument))
    draw_date: CountDate | None = Field(
        default=None,
        description="Date on which parties are counted; today when omitted",
    )
    mode: DrawMode = Field(
        default=DrawMode.PER_REVIEW,
        description="per_review: one pair per State for its whole review; "
        "per_instrument: one independent pair per instrument",
    )

    @field_validator("years")
    @classmethod
    def known_period(cls, years: str) -> str:
        if years not in REVIEW_PERIODS:
            raise ValueError(
                f"unknown workplan period {years!r}; expected one of "
                f"{', '.join(REVIEW_PERIODS)}"
            )
        return years

    @field_validator("instruments")
    @classmethod
    def distinct_instruments(cls, instruments: list[Instrument]) -> list[Instrument]:
        if not instruments:
            raise ValueError("at least one instrument is required")
        return distinct(instruments)


class PhasePublic(BaseModel):
    id: str
    years: str
    instruments: list[Instrument]
    clusters: list[Cluster]
    working_groups: dict[Instrument, WorkingGroup]
    mode: DrawMode
    draw_date: dt.date
    opened_at: dt.datetime
    drawn: bool


class DrawRequest(RequestBody):
    meeting_id: SingleLineText = Field(
        description="The intersessional meeting of the draw"
    )
    seed: SingleLineText | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Seed revealed at the meeting; its SHA-256 must match the "
        "phase's seed commitment",
    )
    # A value must not contain the separator: ["a/b", "c"] and ["a", "b", "c"]
    # would give the same seed.
    announced_values: (
        list[
            Annotated[
                str,
                StringConstraints(
                    min_length=1, max_length=100, pattern=r"^[^/\x00-\x1f]+$"
                ),
                SINGLE_LINE,
                NOT_BLANK,
            ]
        ]
        | None
    ) = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Values announced at the meeting, for a phase without a seed "
        "commitment, without '/'; the seed is the sorted values, each followed "
        "by '/'",
    )


class AssignmentPublic(BaseModel):
    instrument: Instrument
    state_under_review: str
    regional_group: str
    reviewers: list[str] = Field(
        description="Reviewer from the same regional group, then from another group"
    )
    similar_legal_system: bool
    legal_system_note: str | None
    redraw_count: int = Field(description="Redraws that changed this assignment")


class NotDrawnPublic(BaseModel):
    instrument: Instrument
    state: str
    reason: str


class DrawPublic(BaseModel):
    phase_id: str
    seed: str
    seed_sha256: str | None
    ruleset_version: int
    mode: DrawMode
    meeting_id: str | None
    drawn_at: dt.datetime
    redraws: int = Field(description="Redraws in the phase so far")
    assignments: list[AssignmentPublic]
    not_drawn: list[NotDrawnPublic]


class MeetingCreate(RequestBody):
    kind: Literal["intersessional", "regular_session"]
    date: PastDate
    states_present: Annotated[list[StateCode], AfterValidator(distinct)] = Field(
        min_length=1, max_length=250
    )


class MeetingPublic(BaseModel):
    id: str
    phase_id: str
    kind: str
    date: dt.date
    states_present: list[str]
    recorded_at: dt.datetime


class SeedCommitmentCreate(RequestBody):
    seed_sha256: str = Field(
        pattern="^[0-9a-f]{64}$",
        description="SHA-256 of the seed's UTF-8 bytes, lower-case hexadecimal",
    )


class SeedCommitmentPublic(BaseModel):
    phase_id: str
    seed_sha256: str
    committed_at: dt.datetime


class ExceptionalDecisionCreate(RequestBody):
    """A decision for exceptional circumstances, taken before the request."""

    decided_by: SingleLineText = Field(min_length=1, max_length=200)
    decided_on: PastDate
    reason: Annotated[str, MULTI_LINE] = Field(min_length=1, max_length=2000)

    check_not_blank = field_validator("decided_by", "reason")(not_blank)

    def recorded(self) -> ExceptionalDecision:
        return ExceptionalDecision(**self.model_dump())


class RedrawCreate(RequestBody):
    instrument: Instrument
    state_under_review: StateCode
    requested_by: StateCode = Field(description="The State requesting the redraw")
    reason: Annotated[str, MULTI_LINE] = Field(min_length=1, max_length=2000)
    meeting_id: SingleLineText = Field(
        description="The meeting at which the lots are redrawn"
    )
    seed: SingleLineText = Field(
        min_length=1,
        max_length=200,
        description="Seed announced at the meeting for this redraw",
    )
    reviewers: list[StateCode] | None = Field(
        default=None,
        description="Reviewers to replace; by default the requesting reviewer, "
        "or both when the State under review requests",
    )
    exceptional_decision: ExceptionalDecisionCreate | None = Field(
        default=None,
        description="Required for a State's third and later requests in a review",
    )

    check_not_blank = field_validator("reason")(not_blank)


class RedrawPublic(BaseModel):
    number: int
    instrument: Instrument
    state_under_review: str
    requested_by: str
    reason: str
    meeting_id: str
    seed: str
    replaced: list[str]
    exceptional_decision: ExceptionalDecision | None
    requested_at: dt.datetime
    result: list[AssignmentRecord]


class VerificationPublic(BaseModel):
    phase_id: str
    verified: bool
    differences: list[str]


class StateChange(RequestBody):
    """A whole row of the registry, in the columns and cell format of states.csv."""

    # The code comes from the path, so an iso3 in the body gets 422.

    effective_date: MechanismDate
    name: SingleLineText = Field(min_length=1, max_length=200)
    regional_group: SingleLineText = ""
    legal_system: SingleLineText = ""
    untoc: SingleLineText = ""
    tip: SingleLineText = ""
    som: SingleLineText = ""
    firearms: SingleLineText = ""
    uncac: SingleLineText = ""


class RegistryImportPublic(BaseModel):
    effective_date: dt.date
    changed: list[str] = Field(
        description="Codes of the entities updated, without those already recorded"
    )
    recorded: int = Field(description="Number of changes this import recorded")
    already_recorded: int = Field(
        description="Number of rows already recorded with the same effective date, "
        "and so not recorded again"
    )


class RegistryChangePublic(BaseModel):
    iso3: str
    effective_date: dt.date
    row: dict[str, str]
    source: str
    recorded_at: dt.datetime


class CohortCreate(RequestBody):
    seed: SingleLineText = Field(min_length=1, max_length=200)
    count: StrictInt = Field(
        default=3, ge=1, le=10, description="Number of yearly cohorts"
    )
    draw_date: CountDate | None = Field(
        default=None, description="Date on which parties are counted; today if omitted"
    )


class CohortDrawPublic(BaseModel):
    id: str
    seed: str
    count: int
    draw_date: dt.date
    ruleset_version: int
    cohorts: list[list[str]] = Field(description="States per cohort, first year first")
    not_assigned: dict[str, str]
    drawn_at: dt.datetime
