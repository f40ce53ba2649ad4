"""The drawing of lots on the shipped registry and on hand-made ones."""

import datetime as dt
from collections import Counter
from collections.abc import Mapping

import pytest

from palermo_draw.domain.lots import (
    Assignment,
    DrawResult,
    draw_lots,
    similar_legal_systems,
)
from palermo_shared.reference.instruments import Instrument
from palermo_shared.reference.states import StateParty, load_states

DAY = dt.date(2025, 1, 1)
SEEDS = ("alpha", "beta", "gamma")
UNGROUPED = ("COK", "EUU", "NIU", "VAT")


def registry_of(*states: StateParty) -> dict[str, StateParty]:
    return {state.iso3: state for state in states}


def reviewers(assignment: Assignment) -> tuple[str, str]:
    return assignment.same_group_reviewer, assignment.other_group_reviewer


def reciprocal_pairs(result: DrawResult) -> set[tuple[Instrument, str, str]]:
    reviews = {
        (a.instrument, reviewer, a.state_under_review)
        for a in result.assignments
        for reviewer in reviewers(a)
    }
    return {(i, x, y) for i, x, y in reviews if (i, y, x) in reviews}


def has_similar_candidate(
    registry: Mapping[str, StateParty], assignment: Assignment
) -> bool:
    state = registry[assignment.state_under_review]
    return any(
        similar_legal_systems(candidate, state)
        for candidate in registry.values()
        if candidate.iso3 != state.iso3
        and candidate.regional_group
        and candidate.party_to(assignment.instrument, DAY)
    )


@pytest.fixture(scope="module")
def registry() -> dict[str, StateParty]:
    return load_states()


@pytest.fixture(scope="module", params=SEEDS)
def real_draw(request: pytest.FixtureRequest) -> DrawResult:
    return draw_lots(load_states(), list(Instrument), day=DAY, seed=request.param)


def test_real_registry_draws_every_grouped_party(
    registry: dict[str, StateParty], real_draw: DrawResult
) -> None:
    for instrument in Instrument:
        parties = {iso3 for iso3, s in registry.items() if s.party_to(instrument, DAY)}
        drawn = {
            a.state_under_review
            for a in real_draw.assignments
            if a.instrument is instrument
        }
        skipped = {n.state for n in real_draw.not_drawn if n.instrument is instrument}
        assert drawn | skipped == parties, instrument
        assert not drawn & skipped, instrument


def test_real_registry_reviewers_follow_rules(
    registry: dict[str, StateParty], real_draw: DrawResult
) -> None:
    for a in real_draw.assignments:
        state = registry[a.state_under_review]
        same = registry[a.same_group_reviewer]
        other = registry[a.other_group_reviewer]
        assert state.regional_group is not None, a
        assert a.state_under_review not in reviewers(a), a
        assert same.regional_group == state.regional_group, a
        assert other.regional_group is not None, a
        assert other.regional_group != state.regional_group, a
        assert same.party_to(a.instrument, DAY), a
        assert other.party_to(a.instrument, DAY), a


def test_real_registry_prefers_similar_legal_system(
    registry: dict[str, StateParty], real_draw: DrawResult
) -> None:
    for a in real_draw.assignments:
        state = registry[a.state_under_review]
        similar = [similar_legal_systems(registry[r], state) for r in reviewers(a)]
        expected_similar = has_similar_candidate(registry, a)
        assert a.similar_legal_system is expected_similar, a
        assert (a.legal_system_note is None) is expected_similar, a
        assert any(similar) is expected_similar, a


def test_real_registry_balances_load(
    registry: dict[str, StateParty], real_draw: DrawResult
) -> None:
    # Every party is drawn twice on average, so a spread of two draws means
    # no party is left out while another reviews four times.
    for instrument in Instrument:
        load = Counter(
            reviewer
            for a in real_draw.assignments
            if a.instrument is instrument
            for reviewer in reviewers(a)
        )
        eligible = [
            iso3
            for iso3, s in registry.items()
            if s.regional_group and s.party_to(instrument, DAY)
        ]
        loads = [load[iso3] for iso3 in eligible]
        assert max(loads) - min(loads) <= 2, instrument
        assert set(load) <= set(eligible), instrument


def test_real_registry_reciprocal_only_for_legal_system(
    registry: dict[str, StateParty], real_draw: DrawResult
) -> None:
    # Andorra and Bhutan are the only parties to the Convention of the
    # customary tradition, so each is the other's only similar candidate.
    pairs = reciprocal_pairs(real_draw)
    assert pairs <= {
        (Instrument.CONVENTION, "AND", "BTN"),
        (Instrument.CONVENTION, "BTN", "AND"),
    }


def test_real_registry_skips_ungrouped_entities(real_draw: DrawResult) -> None:
    skipped = {(n.instrument, n.state): n.reason for n in real_draw.not_drawn}
    reviewer_codes = {r for a in real_draw.assignments for r in reviewers(a)}
    for iso3 in UNGROUPED:
        reason = skipped.get((Instrument.CONVENTION, iso3))
        assert reason is not None, iso3
        assert "no UN regional group" in reason, iso3
        assert iso3 not in reviewer_codes, iso3


def test_draw_same_seed_same_result(registry: dict[str, StateParty]) -> None:
    first = draw_lots(registry, list(Instrument), day=DAY, seed="meeting-7")
    second = draw_lots(registry, list(Instrument), day=DAY, seed="meeting-7")
    assert first == second


def test_draw_other_seed_other_result(registry: dict[str, StateParty]) -> None:
    first = draw_lots(registry, list(Instrument), day=DAY, seed="meeting-7")
    second = draw_lots(registry, list(Instrument), day=DAY, seed="meeting-8")
    assert first.assignments != second.assignments


def test_draw_counts_parties_on_draw_date(make_state) -> None:
    registry = registry_of(
        make_state("AAA", "African"),
        make_state("AAB", "African"),
        make_state("AAC", "African", deposit_date=dt.date(2030, 1, 1)),
        make_state("BBA", "Eastern European"),
        make_state("BBB", "Eastern European"),
    )
    result = draw_lots(registry, [Instrument.CONVENTION], day=DAY, seed="s")
    drawn = {a.state_under_review for a in result.assignments}
    named = {r for a in result.assignments for r in reviewers(a)}
    assert "AAC" not in drawn
    assert "AAC" not in named


def test_lone_group_member_not_drawn(make_state) -> None:
    registry = registry_of(
        make_state("AAA", "Eastern European"),
        make_state("BBA", "African"),
        make_state("BBB", "African"),
    )
    result = draw_lots(registry, [Instrument.CONVENTION], day=DAY, seed="s")
    skipped = {n.state: n.reason for n in result.not_drawn}
    assert set(skipped) == {"AAA"}
    assert "Eastern European group" in skipped["AAA"]
    assert "convention" in skipped["AAA"]


def test_lone_group_member_still_reviews(make_state) -> None:
    registry = registry_of(
        make_state("AAA", "Eastern European"),
        make_state("BBA", "African"),
        make_state("BBB", "African"),
    )
    result = draw_lots(registry, [Instrument.CONVENTION], day=DAY, seed="s")
    other_group = {a.other_group_reviewer for a in result.assignments}
    assert other_group == {"AAA"}


def test_single_group_not_drawn(make_state) -> None:
    registry = registry_of(
        make_state("AAA", "African"),
        make_state("AAB", "African"),
        make_state("AAC", "African"),
    )
    result = draw_lots(registry, [Instrument.CONVENTION], day=DAY, seed="s")
    assert result.assignments == ()
    assert len(result.not_drawn) == 3
    for skipped in result.not_drawn:
        assert "outside the African group" in skipped.reason, skipped


def test_ungrouped_entity_not_drawn(make_state) -> None:
    registry = registry_of(
        make_state("AAA", "African"),
        make_state("AAB", "African"),
        make_state("BBA", "Eastern European"),
        make_state("BBB", "Eastern European"),
        make_state("EUU", None),
    )
    result = draw_lots(registry, [Instrument.CONVENTION], day=DAY, seed="s")
    skipped = {n.state: n.reason for n in result.not_drawn}
    named = {r for a in result.assignments for r in reviewers(a)}
    assert set(skipped) == {"EUU"}
    assert "EUU belongs to no UN regional group" in skipped["EUU"]
    assert "EUU" not in named


def test_non_party_never_drawn(make_state) -> None:
    registry = registry_of(
        make_state("AAA", "African"),
        make_state("AAB", "African"),
        make_state("AAC", "African", instruments=(Instrument.FIREARMS,)),
        make_state("BBA", "Eastern European"),
        make_state("BBB", "Eastern European"),
    )
    result = draw_lots(registry, [Instrument.CONVENTION], day=DAY, seed="s")
    named = {r for a in result.assignments for r in reviewers(a)}
    drawn = {a.state_under_review for a in result.assignments}
    assert "AAC" not in named
    assert "AAC" not in drawn


@pytest.mark.parametrize("seed", [str(n) for n in range(50)])
def test_reciprocal_pairs_avoided(make_state, seed: str) -> None:
    registry = registry_of(
        *(make_state(f"A{c}A", "African") for c in "ABCD"),
        *(make_state(f"B{c}B", "Eastern European") for c in "ABCD"),
    )
    result = draw_lots(registry, [Instrument.CONVENTION], day=DAY, seed=seed)
    assert len(result.assignments) == 8
    assert reciprocal_pairs(result) == set()


def test_reciprocal_pair_when_unavoidable(make_state) -> None:
    registry = registry_of(
        make_state("AAA", "African"),
        make_state("AAB", "African"),
        make_state("BBA", "Eastern European"),
        make_state("BBB", "Eastern European"),
    )
    result = draw_lots(registry, [Instrument.CONVENTION], day=DAY, seed="s")
    same_group = {
        a.state_under_review: a.same_group_reviewer for a in result.assignments
    }
    assert same_group == {"AAA": "AAB", "AAB": "AAA", "BBA": "BBB", "BBB": "BBA"}


def test_similar_candidate_preferred(make_state) -> None:
    registry = registry_of(
        make_state("AAA", "African", "common_law"),
        make_state("AAB", "African", "civil_law"),
        make_state("AAC", "African", "civil_law"),
        make_state("BBA", "Eastern European", "civil_law"),
        make_state("BBB", "Eastern European", "mixed:common_law+customary"),
        make_state("BBC", "Eastern European", "civil_law"),
    )
    for seed in SEEDS:
        result = draw_lots(registry, [Instrument.CONVENTION], day=DAY, seed=seed)
        by_state = {a.state_under_review: a for a in result.assignments}
        assert by_state["AAA"].other_group_reviewer == "BBB", seed
        assert by_state["AAA"].similar_legal_system, seed
        assert by_state["AAA"].legal_system_note is None, seed


def test_no_similar_candidate_noted(make_state) -> None:
    registry = registry_of(
        make_state("AAA", "African", "muslim_law"),
        make_state("AAB", "African", "civil_law"),
        make_state("BBA", "Eastern European", "civil_law"),
        make_state("BBB", "Eastern European", "mixed:civil_law+muslim_law"),
    )
    result = draw_lots(registry, [Instrument.CONVENTION], day=DAY, seed="s")
    by_state = {a.state_under_review: a for a in result.assignments}
    note = by_state["AAA"].legal_system_note
    assert not by_state["AAA"].similar_legal_system
    assert note is not None
    assert "muslim_law tradition of AAA" in note
    assert by_state["AAB"].legal_system_note is None


def test_unclassified_legal_system_noted(make_state) -> None:
    registry = registry_of(
        make_state("AAA", "African", None),
        make_state("AAB", "African"),
        make_state("BBA", "Eastern European"),
        make_state("BBB", "Eastern European"),
    )
    result = draw_lots(registry, [Instrument.CONVENTION], day=DAY, seed="s")
    by_state = {a.state_under_review: a for a in result.assignments}
    note = by_state["AAA"].legal_system_note
    assert note is not None
    assert "legal system of AAA is not classified" in note
    assert by_state["AAB"].similar_legal_system
