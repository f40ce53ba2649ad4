"""Drawing which States start their review in which year of the workplan.

The mechanism started the States parties in yearly groups (cohorts). The
draw deals the members of each UN regional group, in an order shuffled
from the seed, to the cohorts in turn, and carries the turn on from one
group to the next (groups in alphabetical order, the first cohort dealt to
drawn too). So every cohort has members of every group that has at least
as many members as there are cohorts, the members of one group in two
cohorts differ by at most one, and the sizes of two cohorts differ by at
most one.

A party without a UN regional group is not dealt to a cohort, for the same
reason it is not drawn for reviewers; it is listed with that reason.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from palermo_draw.domain.model import Party, rng_for


@dataclass(frozen=True)
class CohortResult:
    cohorts: tuple[tuple[str, ...], ...]
    not_assigned: tuple[tuple[str, str], ...]


def draw_cohorts(parties: Sequence[Party], *, count: int, seed: str) -> CohortResult:
    """Deal `parties` into `count` cohorts, balanced across regional groups."""
    if count < 1:
        raise ValueError(f"cohort count must be at least 1, got {count}")
    rng = rng_for("cohorts", count, seed)
    groups: dict[str, list[str]] = defaultdict(list)
    not_assigned = []
    for party in sorted(parties, key=lambda p: p.iso3):
        if party.regional_group is None:
            reason = f"{party.iso3} belongs to no UN regional group"
            not_assigned.append((party.iso3, reason))
        else:
            groups[party.regional_group].append(party.iso3)

    cohorts: list[list[str]] = [[] for _ in range(count)]
    # A drawn first cohort, so that no cohort is always dealt first.
    turn = rng.randrange(count)
    for group in sorted(groups):
        members = groups[group]
        rng.shuffle(members)
        for iso3 in members:
            cohorts[turn % count].append(iso3)
            turn += 1
    return CohortResult(
        cohorts=tuple(tuple(sorted(c)) for c in cohorts),
        not_assigned=tuple(not_assigned),
    )
