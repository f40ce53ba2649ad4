"""The state of one draw while it runs: pools, loads, picks and repairs.

`palermo_draw.domain.lots` states the rules and choices this implements.
"""

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from palermo_draw.domain.model import (
    BALANCE_SLACK,
    Assignment,
    DrawMode,
    DrawResult,
    NoCandidate,
    NotDrawn,
    Party,
    Role,
    similar,
)
from palermo_shared.reference.instruments import Instrument

Slot = tuple[Instrument, str, Role]


class Drawing:
    def __init__(
        self,
        parties: Mapping[Instrument, Sequence[Party]],
        *,
        mode: DrawMode,
        rng: random.Random,
    ) -> None:
        self.mode = mode
        self.rng = rng
        self.instruments = list(parties)
        self.members = {
            i: {p.iso3: p for p in sorted(ps, key=lambda p: p.iso3)}
            for i, ps in parties.items()
        }
        self.by_group = {i: _group(self.members[i].values()) for i in self.instruments}
        self.assignments: dict[tuple[Instrument, str], Assignment] = {}
        self.not_drawn: list[NotDrawn] = []
        self.undrawable: set[tuple[Instrument, str]] = set()
        self.reviews: set[tuple[Instrument, str, str]] = set()
        self.pair_counts: Counter[tuple[Instrument | None, str, str]] = Counter()
        self.loads: dict[Instrument | None, Counter[str]] = defaultdict(Counter)
        self.pools: dict[tuple[Instrument, str, Role], list[Party]] = {}
        # Reviewers kept from a State's pair in `per_review` mode before the
        # assignment that keeps them is complete; picks avoid reciprocity
        # with them too.
        self.reviewed: dict[tuple[Instrument, str], set[str]] = defaultdict(set)
        # Slots filled by a draw, as opposed to a reviewer kept from the
        # State's pair in `per_review` mode; only these may be exchanged.
        self.picked: set[Slot] = set()

    # Loads and bookkeeping

    def scope(self, instrument: Instrument) -> Instrument | None:
        return instrument if self.mode is DrawMode.PER_INSTRUMENT else None

    def load(self, instrument: Instrument, iso3: str) -> int:
        return self.loads[self.scope(instrument)][iso3]

    def add(self, assignment: Assignment) -> None:
        key = (assignment.instrument, assignment.state_under_review)
        self.assignments[key] = assignment
        scope = self.scope(assignment.instrument)
        for reviewer in assignment.reviewers:
            self.reviews.add((assignment.instrument, reviewer, key[1]))
            self.reviewed[(assignment.instrument, reviewer)].add(key[1])
            self.pair_counts[(scope, reviewer, key[1])] += 1
            if self.pair_counts[(scope, reviewer, key[1])] == 1:
                self.loads[scope][reviewer] += 1

    def remove(self, assignment: Assignment) -> None:
        key = (assignment.instrument, assignment.state_under_review)
        del self.assignments[key]
        scope = self.scope(assignment.instrument)
        for reviewer in assignment.reviewers:
            self.reviews.discard((assignment.instrument, reviewer, key[1]))
            self.reviewed[(assignment.instrument, reviewer)].discard(key[1])
            self.pair_counts[(scope, reviewer, key[1])] -= 1
            if self.pair_counts[(scope, reviewer, key[1])] == 0:
                self.loads[scope][reviewer] -= 1

    def result(self) -> DrawResult:
        assignments = sorted(
            self.assignments.values(),
            key=lambda a: (self.instruments.index(a.instrument), a.state_under_review),
        )
        not_drawn = sorted(
            self.not_drawn,
            key=lambda n: (self.instruments.index(n.instrument), n.state),
        )
        return DrawResult(tuple(assignments), tuple(not_drawn))

    # Pools and picks

    def pool(self, instrument: Instrument, state: Party, role: Role) -> list[Party]:
        """Return the parties in (or outside) the State's group, the State included."""
        assert state.regional_group is not None
        key = (instrument, state.regional_group, role)
        if key not in self.pools:
            groups = self.by_group[instrument]
            self.pools[key] = [
                c
                for group, members in groups.items()
                if (group == state.regional_group) == (role is Role.SAME_GROUP)
                for c in members
            ]
        return self.pools[key]

    def role_pool(
        self, instrument: Instrument, state: Party, role: Role
    ) -> list[Party]:
        """Return every candidate the rules allow for `role`, the State excluded."""
        return [c for c in self.pool(instrument, state, role) if c.iso3 != state.iso3]

    def window(
        self, instrument: Instrument, state: Party, role: Role, exclude: set[str]
    ) -> list[Party]:
        """Return the balance window: candidates within the slack of the lowest load."""
        load_of = self.loads[self.scope(instrument)].get
        exclude = exclude | {state.iso3}
        pool = [c for c in self.pool(instrument, state, role) if c.iso3 not in exclude]
        if not pool:
            return []
        loads = [load_of(c.iso3, 0) for c in pool]
        ceiling = min(loads) + BALANCE_SLACK
        return [c for c, load in zip(pool, loads, strict=True) if load <= ceiling]

    def pick(
        self,
        instrument: Instrument,
        state: Party,
        window: list[Party],
        *,
        want_similar: bool,
    ) -> Party:
        candidates = window
        if want_similar:
            candidates = similar_in(window, state) or candidates
        reviewed = self.reviewed[(instrument, state.iso3)]
        candidates = [c for c in candidates if c.iso3 not in reviewed] or candidates
        load_of = self.loads[self.scope(instrument)].get
        loads = [load_of(c.iso3, 0) for c in candidates]
        lowest = min(loads)
        least = [c for c, load in zip(candidates, loads, strict=True) if load == lowest]
        return self.rng.choice(least)

    def reviews_already(
        self, instrument: Instrument, state: Party, candidate: Party
    ) -> bool:
        """Tell whether `state` reviews `candidate`, so picking it is reciprocal."""
        return candidate.iso3 in self.reviewed[(instrument, state.iso3)]

    # The draw

    def draw_all(self) -> None:
        order = sorted({iso3 for members in self.members.values() for iso3 in members})
        self.rng.shuffle(order)
        if self.mode is DrawMode.PER_INSTRUMENT:
            for instrument in self.instruments:
                for iso3 in order:
                    if iso3 in self.members[instrument]:
                        self.draw_first(instrument, self.members[instrument][iso3])
            self.repair_reciprocal_pairs()
            return
        bases = {iso3: self.draw_base(iso3) for iso3 in order}
        self.repair_reciprocal_pairs()
        derived = [self.kept_reviewers(iso3, bases[iso3]) for iso3 in order]
        for kept in derived:
            for (instrument, iso3), reviewers in kept.items():
                self.complete(instrument, iso3, reviewers, bases[iso3])
        self.repair_reciprocal_pairs()

    def draw_base(self, iso3: str) -> Instrument | None:
        """Draw the State's pair on the first instrument that gives it one."""
        for instrument in self.instruments:
            state = self.members[instrument].get(iso3)
            if state is not None and self.draw_first(instrument, state):
                return instrument
        return None

    def draw_first(self, instrument: Instrument, state: Party) -> bool:
        """Draw a pair for `state`, or record why it cannot be drawn."""
        reason = self.impossible(instrument, state)
        if reason is not None:
            self.mark_not_drawn(instrument, state.iso3, reason)
            return False
        self.add(self.draw_pair(instrument, state))
        return True

    def mark_not_drawn(self, instrument: Instrument, iso3: str, reason: str) -> None:
        self.not_drawn.append(NotDrawn(instrument, iso3, reason))
        self.undrawable.add((instrument, iso3))

    def impossible(self, instrument: Instrument, state: Party) -> str | None:
        """Return why no pair can be drawn for `state`, or None when one can."""
        name = instrument.value
        if state.regional_group is None:
            return (
                f"{state.iso3} belongs to no UN regional group, so no reviewer "
                "can be drawn from its own group"
            )
        if not self.role_pool(instrument, state, Role.SAME_GROUP):
            return (
                f"no other party to the {name} instrument in the "
                f"{state.regional_group} regional group"
            )
        if not self.role_pool(instrument, state, Role.OTHER_GROUP):
            return (
                f"no party to the {name} instrument outside the "
                f"{state.regional_group} regional group"
            )
        return None

    def draw_pair(self, instrument: Instrument, state: Party) -> Assignment:
        windows = {
            role: self.window(instrument, state, role, {state.iso3}) for role in Role
        }
        similars = {role: similar_in(windows[role], state) for role in Role}
        similar_roles = [role for role in Role if similars[role]]
        # A role whose similar candidates are all reciprocal is designated
        # only when no other role offers a similar candidate.
        reviewed = self.reviewed[(instrument, state.iso3)]
        similar_roles = [
            role
            for role in similar_roles
            if any(c.iso3 not in reviewed for c in similars[role])
        ] or similar_roles
        designated = self.rng.choice(similar_roles) if similar_roles else None
        chosen = {
            role: self.pick(
                instrument, state, windows[role], want_similar=role is designated
            )
            for role in Role
        }
        for role in Role:
            self.picked.add((instrument, state.iso3, role))
        return self.assignment(instrument, state, chosen)

    def assignment(
        self,
        instrument: Instrument,
        state: Party,
        chosen: Mapping[Role, Party],
    ) -> Assignment:
        is_similar = any(similar(c, state) for c in chosen.values())
        note = None if is_similar else self.no_similar_reason(instrument, state)
        return Assignment(
            instrument=instrument,
            state_under_review=state.iso3,
            same_group_reviewer=chosen[Role.SAME_GROUP].iso3,
            other_group_reviewer=chosen[Role.OTHER_GROUP].iso3,
            similar_legal_system=is_similar,
            legal_system_note=note,
        )

    def no_similar_reason(self, instrument: Instrument, state: Party) -> str:
        name = instrument.value
        if state.tradition is None:
            return f"the legal system of {state.iso3} is not classified in the registry"
        pools = [self.role_pool(instrument, state, role) for role in Role]
        if not any(similar(c, state) for pool in pools for c in pool):
            return (
                f"no eligible party to the {name} instrument shares "
                f"the {state.tradition} tradition of {state.iso3}"
            )
        return (
            f"every eligible party to the {name} instrument that shares the "
            f"{state.tradition} tradition of {state.iso3} already reviews more "
            f"States than the balance allows (more than {BALANCE_SLACK} above "
            "the least-loaded candidate)"
        )

    def kept_reviewers(
        self, iso3: str, base_instrument: Instrument | None
    ) -> dict[tuple[Instrument, str], dict[Role, Party]]:
        """Return, per other instrument of the State, the base reviewers it keeps.

        The kept reviewers are entered in `reviewed` at once, so that the
        picks that complete other States' pairs avoid reciprocity with them.
        """
        if base_instrument is None:
            return {}
        base = self.assignments[(base_instrument, iso3)]
        kept: dict[tuple[Instrument, str], dict[Role, Party]] = {}
        for instrument in self.instruments:
            key = (instrument, iso3)
            state = self.members[instrument].get(iso3)
            if state is None or key in self.assignments or key in self.undrawable:
                continue
            reason = self.impossible(instrument, state)
            if reason is not None:
                self.mark_not_drawn(instrument, iso3, reason)
                continue
            members = self.members[instrument]
            kept[key] = {
                role: members[base.reviewer(role)]
                for role in Role
                if base.reviewer(role) in members
            }
            for party in kept[key].values():
                self.reviewed[(instrument, party.iso3)].add(iso3)
        return kept

    def complete(
        self,
        instrument: Instrument,
        iso3: str,
        kept: dict[Role, Party],
        base_instrument: Instrument | None,
    ) -> None:
        """Add the State's pair for `instrument`, drawing what was not kept."""
        assert base_instrument is not None
        state = self.members[instrument][iso3]
        if len(kept) == len(Role):
            base = self.assignments[(base_instrument, iso3)]
            self.add(_retarget(base, instrument))
            return
        chosen = dict(kept)
        for role in Role:
            if role in chosen:
                continue
            exclude = {iso3, *(p.iso3 for p in chosen.values())}
            window = self.window(instrument, state, role, exclude)
            want_similar = not any(similar(p, state) for p in chosen.values())
            chosen[role] = self.pick(
                instrument, state, window, want_similar=want_similar
            )
            self.picked.add((instrument, iso3, role))
        self.add(self.assignment(instrument, state, chosen))

    # Repair of reciprocal pairs

    def reciprocal_slots(self) -> list[Slot]:
        slots = []
        for (instrument, iso3), assignment in sorted(self.assignments.items()):
            for role in Role:
                reviewer = assignment.reviewer(role)
                if (instrument, iso3, reviewer) in self.reviews:
                    slots.append((instrument, iso3, role))
        return slots

    def repair_reciprocal_pairs(self) -> None:
        for slot in self.reciprocal_slots():
            instrument, iso3, role = slot
            reviewer = self.assignments[(instrument, iso3)].reviewer(role)
            if (instrument, iso3, reviewer) not in self.reviews:
                continue  # an earlier exchange already removed this pair
            if slot not in self.picked:
                continue
            self.exchange_any(slot)

    def exchange_any(self, slot: Slot) -> bool:
        instrument, iso3, role = slot
        first = self.assignments[(instrument, iso3)]
        allowed = self.allowed_in(first, role)
        for (other_instrument, other_iso3), second in sorted(self.assignments.items()):
            other_slot = (other_instrument, other_iso3, role)
            if other_instrument != instrument or other_slot == slot:
                continue
            if other_slot not in self.picked or second.reviewer(role) not in allowed:
                continue
            if self.try_exchange(first, second, role):
                return True
        return False

    def allowed_in(self, assignment: Assignment, role: Role) -> set[str]:
        """Return the reviewers that could take `role` without breaking a rule.

        They are the balance window of the role without its current
        reviewer, keeping whether the pair has a similar legal system.
        """
        instrument = assignment.instrument
        members = self.members[instrument]
        state = members[assignment.state_under_review]
        current = assignment.reviewer(role)
        other = members[assignment.reviewer(_other(role))]
        window = self.window(instrument, state, role, {current})
        return {
            c.iso3
            for c in window
            if (similar(c, state) or similar(other, state))
            == assignment.similar_legal_system
        }

    def try_exchange(self, first: Assignment, second: Assignment, role: Role) -> bool:
        """Exchange two same-role reviewers if every rule and outcome still holds."""
        instrument = first.instrument
        a, b = first.reviewer(role), second.reviewer(role)
        if a not in self.allowed_in(second, role):
            return False
        new_first = _replace(first, role, b)
        new_second = _replace(second, role, a)
        loads_before = [self.load(instrument, r) for r in (a, b)]
        self.remove(first)
        self.remove(second)
        self.add(new_first)
        self.add(new_second)
        loads_after = [self.load(instrument, r) for r in (a, b)]
        reciprocal = (instrument, first.state_under_review, b) in self.reviews or (
            instrument,
            second.state_under_review,
            a,
        ) in self.reviews
        if loads_after == loads_before and not reciprocal:
            return True
        self.remove(new_first)
        self.remove(new_second)
        self.add(first)
        self.add(second)
        return False

    # Redraws

    def replace_reviewers(
        self,
        instrument: Instrument,
        iso3: str,
        replaced: Iterable[str],
        *,
        excluded: set[str],
    ) -> list[Assignment]:
        """Replace reviewers of one review; return the changed assignments.

        In `per_review` mode the review spans every instrument of the State,
        so a replaced reviewer is replaced wherever it reviews the State. The
        replacement is drawn on the first such instrument and kept for the
        others where it is a party, else drawn for that instrument alone.
        """
        changed: dict[Instrument, Assignment] = {}
        for reviewer in replaced:
            replacement: str | None = None
            for target in self.review_instruments(instrument, iso3):
                current = changed.get(target) or self.assignments[(target, iso3)]
                if reviewer not in current.reviewers:
                    continue
                new = self.replace_one(
                    current, reviewer, replacement, excluded=excluded
                )
                replacement = replacement or new.reviewer(_role_of(current, reviewer))
                changed[target] = new
        for target, new in changed.items():
            self.remove(self.assignments[(target, iso3)])
            self.add(new)
        return [changed[i] for i in self.instruments if i in changed]

    def review_instruments(self, instrument: Instrument, iso3: str) -> list[Instrument]:
        if self.mode is DrawMode.PER_INSTRUMENT:
            return [instrument]
        return [i for i in self.instruments if (i, iso3) in self.assignments]

    def replace_one(
        self,
        current: Assignment,
        reviewer: str,
        replacement: str | None,
        *,
        excluded: set[str],
    ) -> Assignment:
        instrument = current.instrument
        state = self.members[instrument][current.state_under_review]
        role = _role_of(current, reviewer)
        other = self.members[instrument][current.reviewer(_other(role))]
        exclude = {state.iso3, other.iso3, *excluded}
        pool = self.role_pool(instrument, state, role)
        allowed = {c.iso3 for c in pool} - exclude
        window = self.window(instrument, state, role, exclude)
        if replacement is not None and replacement in allowed:
            chosen = self.members[instrument][replacement]
        elif not window:
            raise NoCandidate(self.no_replacement_reason(current, role, exclude))
        else:
            want_similar = not similar(other, state)
            chosen = self.pick(instrument, state, window, want_similar=want_similar)
        picks = {role: chosen, _other(role): other}
        return self.assignment(instrument, state, picks)

    def no_replacement_reason(
        self, current: Assignment, role: Role, exclude: set[str]
    ) -> str:
        state = self.members[current.instrument][current.state_under_review]
        where = "in" if role is Role.SAME_GROUP else "outside"
        return (
            f"no party to the {current.instrument.value} instrument {where} the "
            f"{state.regional_group} regional group is left to review "
            f"{state.iso3}: the only candidates are excluded "
            f"({', '.join(sorted(exclude))}: the State itself, its other "
            "reviewer and the reviewers replaced in this review)"
        )


def similar_in(candidates: list[Party], state: Party) -> list[Party]:
    """Return the candidates sharing the State's first legal tradition."""
    tradition = state.tradition
    if tradition is None:
        return []
    return [c for c in candidates if c.tradition == tradition]


def _group(parties: Iterable[Party]) -> dict[str, list[Party]]:
    groups: dict[str, list[Party]] = defaultdict(list)
    for party in parties:
        if party.regional_group is not None:
            groups[party.regional_group].append(party)
    return dict(sorted(groups.items()))


def _other(role: Role) -> Role:
    return Role.OTHER_GROUP if role is Role.SAME_GROUP else Role.SAME_GROUP


def _role_of(assignment: Assignment, reviewer: str) -> Role:
    if assignment.same_group_reviewer == reviewer:
        return Role.SAME_GROUP
    return Role.OTHER_GROUP


def _replace(assignment: Assignment, role: Role, reviewer: str) -> Assignment:
    same, other = assignment.reviewers
    if role is Role.SAME_GROUP:
        same = reviewer
    else:
        other = reviewer
    return Assignment(
        instrument=assignment.instrument,
        state_under_review=assignment.state_under_review,
        same_group_reviewer=same,
        other_group_reviewer=other,
        similar_legal_system=assignment.similar_legal_system,
        legal_system_note=assignment.legal_system_note,
    )


def _retarget(base: Assignment, instrument: Instrument) -> Assignment:
    return Assignment(
        instrument=instrument,
        state_under_review=base.state_under_review,
        same_group_reviewer=base.same_group_reviewer,
        other_group_reviewer=base.other_group_reviewer,
        similar_legal_system=base.similar_legal_system,
        legal_system_note=base.legal_system_note,
    )
