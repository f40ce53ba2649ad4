"""The drawing of lots: which two States review each State under review.

Rules (resolution 8/2, paragraph 7 (c)): for each State party under review
and each instrument it is party to, two other parties to that instrument
review it, one from the State's UN regional group and one from another
group, and, if possible, one of them has a similar legal system.

Choices this implementation makes where the resolution is silent:

- "Similar legal system" means sharing the first-listed legal tradition of
  the JuriGlobe classification (so `civil_law` is similar to
  `mixed:civil_law+customary` but not to `mixed:customary+civil_law`).
- Balance: each reviewer is drawn among the eligible candidates that have
  been drawn least often so far for that instrument.
- Reciprocal pairs (A reviews B while B reviews A for the same instrument)
  are avoided whenever the pool drawn from offers another candidate. That
  pool is narrowed to similar legal systems first, so a reciprocal pair
  stays when it is the only similar candidate. Each State is drawn in turn
  without backtracking, so earlier draws can leave no other candidate.
- A party without a UN regional group cannot be drawn for or drawn as a
  reviewer, because the rule needs its group; it is listed as not drawn
  with that reason.

The result is a deterministic function of the registry, the draw date, the
instruments, the seed and `RULESET_VERSION`: anyone with those inputs can
re-run the draw and compare.
"""

import datetime as dt
import hashlib
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from palermo_shared.reference.instruments import Instrument
from palermo_shared.reference.states import StateParty

RULESET_VERSION = 1


@dataclass(frozen=True)
class Assignment:
    instrument: Instrument
    state_under_review: str
    same_group_reviewer: str
    other_group_reviewer: str
    similar_legal_system: bool
    legal_system_note: str | None


@dataclass(frozen=True)
class NotDrawn:
    instrument: Instrument
    state: str
    reason: str


@dataclass(frozen=True)
class DrawResult:
    assignments: tuple[Assignment, ...]
    not_drawn: tuple[NotDrawn, ...]


def draw_lots(
    registry: Mapping[str, StateParty],
    instruments: Iterable[Instrument],
    *,
    day: dt.date,
    seed: str,
) -> DrawResult:
    """Draw two reviewers for every party to each instrument on `day`."""
    assignments: list[Assignment] = []
    not_drawn: list[NotDrawn] = []
    for instrument in instruments:
        drawing = _InstrumentDraw(registry, instrument, day=day, seed=seed)
        drawn, skipped = drawing.run()
        assignments.extend(drawn)
        not_drawn.extend(skipped)
    return DrawResult(tuple(assignments), tuple(not_drawn))


def similar_legal_systems(a: StateParty, b: StateParty) -> bool:
    return bool(a.legal_traditions and b.legal_traditions) and (
        a.legal_traditions[0] == b.legal_traditions[0]
    )


def _rng_for(seed: str, instrument: Instrument) -> random.Random:
    material = f"palermo-draw:v{RULESET_VERSION}:{instrument.value}:{seed}"
    return random.Random(hashlib.sha256(material.encode()).digest())


class _InstrumentDraw:
    def __init__(
        self,
        registry: Mapping[str, StateParty],
        instrument: Instrument,
        *,
        day: dt.date,
        seed: str,
    ) -> None:
        self.instrument = instrument
        self.parties = [
            registry[iso3]
            for iso3 in sorted(registry)
            if registry[iso3].party_to(instrument, day)
        ]
        self.eligible = [s for s in self.parties if s.regional_group]
        self.rng = _rng_for(seed, instrument)
        self.load: Counter[str] = Counter()
        self.reviewers_of: dict[str, set[str]] = defaultdict(set)

    def run(self) -> tuple[list[Assignment], list[NotDrawn]]:
        assignments: list[Assignment] = []
        not_drawn: list[NotDrawn] = []
        order = list(self.parties)
        # The order of drawing matters for balance, so it is drawn too.
        self.rng.shuffle(order)
        for state in order:
            outcome = self._draw_for(state)
            if isinstance(outcome, NotDrawn):
                not_drawn.append(outcome)
            else:
                assignments.append(outcome)
        assignments.sort(key=lambda a: a.state_under_review)
        not_drawn.sort(key=lambda n: n.state)
        return assignments, not_drawn

    def _draw_for(self, state: StateParty) -> Assignment | NotDrawn:
        if not state.regional_group:
            return self._not_drawn(
                state,
                f"{state.iso3} belongs to no UN regional group, so no reviewer "
                "can be drawn from its own group",
            )
        same = [
            c
            for c in self.eligible
            if c.regional_group == state.regional_group and c.iso3 != state.iso3
        ]
        other = [c for c in self.eligible if c.regional_group != state.regional_group]
        if not same:
            return self._not_drawn(
                state,
                f"no other party to the {self.instrument.value} instrument in the "
                f"{state.regional_group} group",
            )
        if not other:
            return self._not_drawn(
                state,
                f"no party to the {self.instrument.value} instrument outside the "
                f"{state.regional_group} group",
            )
        return self._choose_pair(state, same, other)

    def _choose_pair(
        self, state: StateParty, same: list[StateParty], other: list[StateParty]
    ) -> Assignment:
        similar_same = [c for c in same if similar_legal_systems(c, state)]
        similar_other = [c for c in other if similar_legal_systems(c, state)]
        sides = [
            side
            for side, pool in (("same", similar_same), ("other", similar_other))
            if pool
        ]
        note = None
        if not sides:
            note = self._no_similar_reason(state)
            same_pick = self._pick(state, same)
            other_pick = self._pick(state, other)
        elif self.rng.choice(sides) == "same":
            same_pick = self._pick(state, similar_same)
            other_pick = self._pick(state, other)
        else:
            same_pick = self._pick(state, same)
            other_pick = self._pick(state, similar_other)
        return Assignment(
            instrument=self.instrument,
            state_under_review=state.iso3,
            same_group_reviewer=same_pick.iso3,
            other_group_reviewer=other_pick.iso3,
            similar_legal_system=note is None,
            legal_system_note=note,
        )

    def _pick(self, state: StateParty, pool: list[StateParty]) -> StateParty:
        """Draw one candidate among the least-loaded, avoiding reciprocal pairs."""
        not_reciprocal = [
            c for c in pool if state.iso3 not in self.reviewers_of[c.iso3]
        ]
        candidates = not_reciprocal or pool
        lowest = min(self.load[c.iso3] for c in candidates)
        chosen = self.rng.choice([c for c in candidates if self.load[c.iso3] == lowest])
        self.load[chosen.iso3] += 1
        self.reviewers_of[state.iso3].add(chosen.iso3)
        return chosen

    def _no_similar_reason(self, state: StateParty) -> str:
        if not state.legal_traditions:
            return f"the legal system of {state.iso3} is not classified in the registry"
        return (
            f"no eligible party to the {self.instrument.value} instrument shares "
            f"the {state.legal_traditions[0]} tradition of {state.iso3}"
        )

    def _not_drawn(self, state: StateParty, reason: str) -> NotDrawn:
        return NotDrawn(instrument=self.instrument, state=state.iso3, reason=reason)
