"""Values of the drawing of lots, shared by the draw, redraws and verification."""

import hashlib
import random
from dataclasses import dataclass, field
from enum import StrEnum

from palermo_shared.reference.instruments import Instrument

RULESET_VERSION = 2
BALANCE_SLACK = 1


class DrawMode(StrEnum):
    PER_REVIEW = "per_review"
    PER_INSTRUMENT = "per_instrument"


class Role(StrEnum):
    SAME_GROUP = "same_regional_group"
    OTHER_GROUP = "other_regional_group"


@dataclass(frozen=True)
class Party:
    """A party to an instrument, with the fields the draw uses, on the draw date."""

    iso3: str
    regional_group: str | None
    legal_system: str | None
    tradition: str | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # The first-listed legal tradition, computed once because every
        # pick compares it.
        tradition = None
        if self.legal_system:
            tradition = self.legal_system.removeprefix("mixed:").split("+")[0]
        object.__setattr__(self, "tradition", tradition)


@dataclass(frozen=True)
class Assignment:
    instrument: Instrument
    state_under_review: str
    same_group_reviewer: str
    other_group_reviewer: str
    similar_legal_system: bool
    legal_system_note: str | None

    @property
    def reviewers(self) -> tuple[str, str]:
        return self.same_group_reviewer, self.other_group_reviewer

    def reviewer(self, role: Role) -> str:
        if role is Role.SAME_GROUP:
            return self.same_group_reviewer
        return self.other_group_reviewer


@dataclass(frozen=True)
class NotDrawn:
    instrument: Instrument
    state: str
    reason: str


@dataclass(frozen=True)
class DrawResult:
    assignments: tuple[Assignment, ...]
    not_drawn: tuple[NotDrawn, ...]


class NoCandidate(Exception):
    """Raised when the rules leave no candidate. The message gives the reason."""


def similar(a: Party, b: Party) -> bool:
    return a.tradition is not None and a.tradition == b.tradition


def rng_for(*parts: object) -> random.Random:
    """Return a generator seeded by SHA-256 of the rule-set version and `parts`."""
    material = ":".join(["palermo-draw", f"v{RULESET_VERSION}", *map(str, parts)])
    return random.Random(hashlib.sha256(material.encode()).digest())
