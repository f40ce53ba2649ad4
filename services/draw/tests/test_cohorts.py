"""The cohort draw: which States start their review in which year."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo_draw.domain.cohorts import draw_cohorts
from palermo_draw.domain.model import Party
from palermo_shared.contracts.draw import CohortsDrawn
from palermo_shared.events import TOPIC_DRAW, payload_of

GROUPS = ("African", "Asia-Pacific", "Eastern European", "Latin American", "WEOG")


@st.composite
def parties(draw: st.DrawFn) -> list[Party]:
    count = draw(st.integers(min_value=0, max_value=80))
    return [
        Party(f"S{i:02d}", draw(st.sampled_from((*GROUPS, None))), None)
        for i in range(count)
    ]


@settings(max_examples=150, deadline=None)
@given(parties=parties(), count=st.integers(1, 6), seed=st.text(max_size=6))
def test_cohorts_balanced(parties, count, seed) -> None:
    result = draw_cohorts(parties, count=count, seed=seed)

    sizes = [len(c) for c in result.cohorts]
    assert len(sizes) == count
    assert max(sizes) - min(sizes) <= 1
    group_of = {p.iso3: p.regional_group for p in parties}
    for group in GROUPS:
        per_cohort = [sum(group_of[s] == group for s in c) for c in result.cohorts]
        assert max(per_cohort) - min(per_cohort) <= 1, group
    dealt = [s for c in result.cohorts for s in c]
    assert sorted(dealt + [s for s, _ in result.not_assigned]) == sorted(group_of)
    assert all(group_of[s] is None for s, _ in result.not_assigned)


def test_cohorts_deterministic() -> None:
    members = [Party(f"S{i:02d}", GROUPS[i % 5], None) for i in range(40)]

    first = draw_cohorts(members, count=3, seed="x")
    again = draw_cohorts(list(reversed(members)), count=3, seed="x")
    other = draw_cohorts(members, count=3, seed="y")

    assert first == again
    assert first != other


def test_first_cohort_varies() -> None:
    # The State dealt first is drawn, so no cohort is always the larger.
    members = [Party(f"S{i:02d}", "African", None) for i in range(7)]

    larger = Counter(
        max(range(3), key=lambda n: len(r.cohorts[n]))
        for r in (draw_cohorts(members, count=3, seed=str(s)) for s in range(60))
    )

    assert len(larger) == 3


async def test_cohort_endpoint_stored(draw_service) -> None:
    body = {"seed": "cohorts-2010", "count": 3, "draw_date": "2025-01-01"}

    response = await draw_service.client.post("/cohorts", json=body)

    assert response.status_code == 201, response.text
    drawn = response.json()
    assert len(drawn["cohorts"]) == 3
    assert set(drawn["not_assigned"]) == {"COK", "EUU", "NIU", "VAT"}
    stored = await draw_service.client.get(f"/cohorts/{drawn['id']}")
    assert stored.json() == drawn
    [envelope] = await draw_service.wait_for_events(
        TOPIC_DRAW, CohortsDrawn.event_type, 1
    )
    event = payload_of(envelope)
    assert isinstance(event, CohortsDrawn)
    assert event.cohorts == drawn["cohorts"]


async def test_cohort_endpoint_repeatable(draw_service) -> None:
    body = {"seed": "same", "count": 3, "draw_date": "2025-01-01"}

    first = (await draw_service.client.post("/cohorts", json=body)).json()
    second = (await draw_service.client.post("/cohorts", json=body)).json()

    assert first["cohorts"] == second["cohorts"]


async def test_cohort_count_invalid(draw_service) -> None:
    response = await draw_service.client.post(
        "/cohorts", json={"seed": "s", "count": 0}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "count"


@pytest.mark.parametrize("seed", ["cohorts\x002010", "cohorts\t2010"])
async def test_cohort_seed_control_character_invalid(draw_service, seed) -> None:
    response = await draw_service.client.post(
        "/cohorts", json={"seed": seed, "draw_date": "2025-01-01"}
    )

    [problem] = response.json()["problems"]
    assert response.status_code == 422
    assert response.json()["field"] == "seed"
    assert "invalid control character" in problem["message"]
    assert (
        await draw_service.wait_for_events(TOPIC_DRAW, CohortsDrawn.event_type, 0) == []
    )


@pytest.mark.parametrize("draw_date", ["1999-12-31", "9999-12-31"])
async def test_cohort_draw_date_invalid(draw_service, draw_date) -> None:
    body = {"seed": "s", "draw_date": draw_date}

    response = await draw_service.client.post("/cohorts", json=body)

    assert response.status_code == 422
    assert response.json()["field"] == "draw_date"


async def test_unknown_cohort_not_found(draw_service) -> None:
    response = await draw_service.client.get("/cohorts/nowhere")

    assert response.status_code == 404
