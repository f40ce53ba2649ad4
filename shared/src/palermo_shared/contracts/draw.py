"""Events of the draw service: the registry, review phases and the drawing of lots."""

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from palermo_shared.events import TOPIC_DRAW, EventPayload, event
from palermo_shared.reference.instruments import Cluster, Instrument, WorkingGroup


@event("palermo.draw.review_phase_opened", version=1, topic=TOPIC_DRAW)
class ReviewPhaseOpened(EventPayload):
    phase_id: str
    years: str
    clusters: list[Cluster]
    instruments: list[Instrument]
    working_groups: dict[Instrument, WorkingGroup]
    draw_date: dt.date
    states_under_review: dict[Instrument, list[str]] = Field(
        description="ISO 3166-1 alpha-3 codes of the parties to each instrument"
    )


class DrawnReviewer(BaseModel):
    model_config = ConfigDict(frozen=True)

    iso3: str
    regional_group: str
    legal_system: str | None
    role: Literal["same_regional_group", "other_regional_group"]


@event("palermo.draw.lots_drawn", version=1, topic=TOPIC_DRAW)
class LotsDrawn(EventPayload):
    phase_id: str
    instrument: Instrument
    state_under_review: str
    regional_group: str
    clusters: list[Cluster]
    reviewers: list[DrawnReviewer]
    similar_legal_system: bool
    legal_system_note: str | None = None
