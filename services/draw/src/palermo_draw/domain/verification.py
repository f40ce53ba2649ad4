"""Re-running a published draw and its redraws from their public inputs."""

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from palermo_draw.domain.lots import Redraw, draw_lots, redraw
from palermo_draw.domain.model import (
    RULESET_VERSION,
    Assignment,
    DrawMode,
    DrawResult,
    NoCandidate,
    Party,
)
from palermo_shared.reference.instruments import Instrument


@dataclass(frozen=True)
class PublishedRedraw:
    request: Redraw
    result: tuple[Assignment, ...]


@dataclass(frozen=True)
class PublishedDraw:
    """Everything a draw's record publishes: its inputs and its results."""

    ruleset_version: int
    mode: DrawMode
    seed: str
    seed_source: str
    seed_sha256: str | None
    announced_values: Sequence[str] | None
    parties: Mapping[Instrument, Sequence[Party]]
    initial: DrawResult
    redraws: Sequence[PublishedRedraw]
    current: Sequence[Assignment]


def seed_hash(seed: str) -> str:
    """Return the SHA-256 of the seed's UTF-8 bytes, in lower-case hexadecimal."""
    return hashlib.sha256(seed.encode()).hexdigest()


def seed_from_announced(values: Sequence[str]) -> str:
    """Return the seed made of values announced at the meeting.

    In the spirit of RFC 3797, the values are sorted, so the order in
    which they were announced does not matter, and each ends with "/".
    """
    return "".join(f"{value.strip()}/" for value in sorted(values))


def verify(published: PublishedDraw) -> list[str]:
    """Re-run the draw and every redraw in order; return what differs, if anything."""
    if published.ruleset_version != RULESET_VERSION:
        return [
            f"rule-set version {published.ruleset_version} cannot be re-run by "
            f"this verifier, which implements version {RULESET_VERSION}"
        ]
    differences = _check_seed(published) + _check_parties(published)

    rerun = draw_lots(published.parties, mode=published.mode, seed=published.seed)
    differences += _compare("initial draw", published.initial.assignments, rerun)
    differences += _compare_not_drawn(published.initial, rerun)

    current = {_key(a): a for a in rerun.assignments}
    for entry in published.redraws:
        differences += _replay(published, entry, current)
    differences += _compare_assignments(
        "current draw", published.current, list(current.values())
    )
    return differences


def _check_seed(published: PublishedDraw) -> list[str]:
    # A record without its commitment or its announced values would show
    # nothing that fixed the seed before the draw.
    if published.seed_source == "commitment" and published.seed_sha256 is None:
        return ["seed: the record names a commitment but publishes no seed_sha256"]
    if published.seed_source == "announced_values" and not published.announced_values:
        return ["seed: the record names announced values but publishes none"]

    differences = []
    commitment = published.seed_sha256
    if commitment is not None and seed_hash(published.seed) != commitment:
        differences.append(
            f"seed: its SHA-256 does not match the published commitment {commitment}"
        )
    values = published.announced_values
    if values is not None and seed_from_announced(values) != published.seed:
        differences.append(
            "seed: it is not the one made of the announced values "
            f"({seed_from_announced(values)!r})"
        )
    return differences


def _check_parties(published: PublishedDraw) -> list[str]:
    """List each party that an instrument's parties name more than once."""
    differences = []
    for instrument, parties in published.parties.items():
        counts = Counter(p.iso3 for p in parties)
        differences += [
            f"parties, {instrument.value}: {iso3} is listed {count} times"
            for iso3, count in sorted(counts.items())
            if count > 1
        ]
    return differences


def _replay(
    published: PublishedDraw,
    entry: PublishedRedraw,
    current: dict[tuple[Instrument, str], Assignment],
) -> list[str]:
    label = f"redraw {entry.request.number}"
    try:
        changed = redraw(
            published.parties,
            mode=published.mode,
            current=list(current.values()),
            request=entry.request,
        )
    except NoCandidate as error:
        return [f"{label}: the re-run draws no replacement ({error})"]
    for assignment in changed:
        current[_key(assignment)] = assignment
    return _compare_assignments(label, entry.result, changed)


def _compare(
    label: str, recorded: Sequence[Assignment], rerun: DrawResult
) -> list[str]:
    return _compare_assignments(label, recorded, rerun.assignments)


def _compare_assignments(
    label: str, recorded: Sequence[Assignment], rerun: Sequence[Assignment]
) -> list[str]:
    expected = {_key(a): a for a in rerun}
    published = {_key(a): a for a in recorded}
    differences = _repeated_states(label, [_key(a) for a in recorded])
    for key in sorted(expected.keys() | published.keys()):
        mine, theirs = expected.get(key), published.get(key)
        if mine != theirs:
            differences.append(
                f"{label}, {key[0].value} {key[1]}: published "
                f"{_describe(theirs)}, the re-run gives {_describe(mine)}"
            )
    return differences


def _compare_not_drawn(recorded: DrawResult, rerun: DrawResult) -> list[str]:
    published = {(n.instrument, n.state): n.reason for n in recorded.not_drawn}
    expected = {(n.instrument, n.state): n.reason for n in rerun.not_drawn}
    keys = [(n.instrument, n.state) for n in recorded.not_drawn]
    return _repeated_states("initial draw, not drawn", keys) + [
        f"initial draw, {instrument.value} {state}: published as not drawn "
        f"({published.get((instrument, state))}), the re-run gives "
        f"({expected.get((instrument, state))})"
        for instrument, state in sorted(published.keys() | expected.keys())
        if published.get((instrument, state)) != expected.get((instrument, state))
    ]


def _repeated_states(label: str, keys: Sequence[tuple[Instrument, str]]) -> list[str]:
    """List each State that a published result names more than once per instrument.

    The comparison reads one entry per State and instrument, so a second
    entry with other reviewers would otherwise pass unseen.
    """
    counts = Counter(keys)
    return [
        f"{label}, {instrument.value} {state}: listed {count} times"
        for (instrument, state), count in sorted(counts.items())
        if count > 1
    ]


def _key(assignment: Assignment) -> tuple[Instrument, str]:
    return assignment.instrument, assignment.state_under_review


def _describe(assignment: Assignment | None) -> str:
    if assignment is None:
        return "no assignment"
    similar = "similar" if assignment.similar_legal_system else "no similar"
    return (
        f"reviewers {assignment.same_group_reviewer} and "
        f"{assignment.other_group_reviewer} ({similar} legal system)"
    )
