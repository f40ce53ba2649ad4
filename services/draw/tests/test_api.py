"""The draw service's HTTP API and the events it publishes."""

import asyncio
import hashlib

import pytest

from palermo_shared.contracts import LotsDrawn, ReviewPhaseOpened
from palermo_shared.events import TOPIC_DRAW, payload_of
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.reference.states import load_states


async def test_open_phase_created(draw_service, open_phase) -> None:
    phase_id = await open_phase(instruments=("convention", "firearms"))

    response = await draw_service.client.get(f"/phases/{phase_id}")

    assert response.status_code == 200
    phase = response.json()
    assert phase["years"] == "III-VI"
    assert phase["instruments"] == ["convention", "firearms"]
    assert phase["clusters"] == ["criminalization", "international_cooperation"]
    assert phase["draw_date"] == "2025-01-01"
    assert phase["working_groups"]["firearms"] == "firearms"
    assert phase["drawn"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"years": "I-II"}, "years"),
        ({"years": "XI-XII"}, "years"),
        ({"instruments": []}, "instruments"),
        ({"instruments": ["convention", "convention"]}, "instruments"),
        ({"instruments": ["corruption"]}, "instruments"),
        ({"draw_date": "0001-01-01"}, "draw_date"),
        ({"draw_date": "2003-09-28"}, "draw_date"),
        ({"draw_date": "9999-12-31"}, "draw_date"),
    ],
)
async def test_open_phase_invalid(draw_service, body, field) -> None:
    response = await draw_service.client.post("/phases", json=body)

    assert response.status_code == 422
    fields = [p["field"].split(".")[0] for p in response.json()["problems"]]
    assert field in fields


async def test_repeated_instrument_named(draw_service) -> None:
    body = {"instruments": ["convention", "firearms", "convention"]}

    response = await draw_service.client.post("/phases", json=body)

    [problem] = response.json()["problems"]
    assert problem["message"] == (
        "'convention' listed more than once; list each value once"
    )


async def test_open_phase_date_message(draw_service) -> None:
    response = await draw_service.client.post(
        "/phases", json={"draw_date": "2003-09-28"}
    )

    [problem] = response.json()["problems"]
    assert "invalid date 2003-09-28: it is before 2003-09-29" in problem["message"]


@pytest.mark.parametrize(
    "instruments",
    [
        ("convention", "firearms"),
        ("firearms",),
        ("trafficking_in_persons", "convention"),
    ],
)
async def test_phase_reviewing_same_instrument_conflicts(
    draw_service, open_phase, instruments
) -> None:
    existing = await open_phase(instruments=("convention", "firearms"))
    body = {"years": "III-VI", "instruments": list(instruments), "mode": "per_review"}

    response = await draw_service.client.post(
        "/phases", json={**body, "draw_date": "2025-03-01"}
    )

    assert response.status_code == 409, response.text
    assert response.json()["phase_id"] == existing
    assert existing in response.json()["detail"]
    assert "III-VI" in response.json()["detail"]
    opened = await draw_service.wait_for_events(
        TOPIC_DRAW, ReviewPhaseOpened.event_type, 1
    )
    assert [payload_of(e).phase_id for e in opened] == [existing]


async def test_phase_of_other_instrument_or_years_opened(
    draw_service, open_phase
) -> None:
    await open_phase(instruments=("convention",))

    other_instrument = await draw_service.client.post(
        "/phases", json={"years": "III-VI", "instruments": ["smuggling_of_migrants"]}
    )
    other_years = await draw_service.client.post(
        "/phases", json={"years": "VII-X", "instruments": ["convention"]}
    )

    assert other_instrument.status_code == 201
    assert other_years.status_code == 201


async def test_concurrent_same_phases_open_one(draw_service) -> None:
    body = {"years": "III-VI", "instruments": ["convention"], "draw_date": "2025-01-01"}

    responses = await asyncio.gather(
        *(draw_service.client.post("/phases", json=body) for _ in range(4))
    )

    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]


async def test_invalid_phase_publishes_nothing(draw_service, open_phase) -> None:
    await draw_service.client.post("/phases", json={"years": "I-II"})
    await open_phase()

    opened = await draw_service.wait_for_events(
        TOPIC_DRAW, ReviewPhaseOpened.event_type, 1
    )

    assert len(opened) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/phases/no-such-phase"),
        ("GET", "/phases/no-such-phase/draw"),
        ("POST", "/phases/no-such-phase/draw"),
    ],
)
async def test_unknown_phase_not_found(draw_service, method, path) -> None:
    body = {"seed": "s", "meeting_id": "m"}
    response = await draw_service.client.request(method, path, json=body)

    assert response.status_code == 404
    assert "no-such-phase" in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/phases/no-such%00phase"),
        ("POST", "/phases/no-such%00phase/draw"),
        ("GET", "/cohorts/%1b"),
    ],
)
async def test_control_character_in_path_invalid(draw_service, method, path) -> None:
    body = {"seed": "s", "meeting_id": "m"}
    response = await draw_service.client.request(method, path, json=body)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["field"] == "path"
    assert "invalid control character" in response.json()["detail"]


async def test_draw_before_drawing_not_found(draw_service, open_phase) -> None:
    phase_id = await open_phase()

    response = await draw_service.client.get(f"/phases/{phase_id}/draw")

    assert response.status_code == 404


async def test_state_found(draw_service) -> None:
    response = await draw_service.client.get("/states/FRA")

    assert response.status_code == 200
    state = response.json()
    assert state["iso3"] == "FRA"
    assert state["regional_group"] == "Western European and Others"
    assert "convention" in state["instruments"]


async def test_unknown_state_not_found(draw_service) -> None:
    response = await draw_service.client.get("/states/XXX")

    assert response.status_code == 404
    assert "XXX" in response.json()["detail"]


@pytest.mark.parametrize("code", ["fra", "Fra", "FR1"])
async def test_malformed_state_invalid(draw_service, code) -> None:
    response = await draw_service.client.get(f"/states/{code}")

    assert response.status_code == 422
    assert response.json()["field"] == "iso3"
    [problem] = response.json()["problems"]
    assert problem["message"].startswith(f"invalid State code {code!r}; expected")


async def test_states_listed(draw_service) -> None:
    response = await draw_service.client.get("/states")

    assert response.status_code == 200
    codes = [state["iso3"] for state in response.json()]
    assert codes == sorted(load_states())


async def test_draw_created(draw_service, draw_phase) -> None:
    drawn = await draw_phase(seed="meeting-7")

    draw = drawn.draw
    assert draw["seed"] == "meeting-7"
    assert draw["seed_sha256"] == hashlib.sha256(b"meeting-7").hexdigest()
    assert draw["meeting_id"] == drawn.meeting_id
    assert draw["mode"] == "per_review"
    assert len(draw["assignments"]) > 100
    skipped = {entry["state"] for entry in draw["not_drawn"]}
    assert skipped == {"COK", "EUU", "NIU", "VAT"}
    phase = (await draw_service.client.get(f"/phases/{drawn.phase_id}")).json()
    assert phase["drawn"] is True


async def test_second_draw_conflicts(draw_service, draw_phase) -> None:
    drawn = await draw_phase(seed="first")
    path = f"/phases/{drawn.phase_id}/draw"
    before = (await draw_service.client.get(path)).json()

    body = {"seed": "first", "meeting_id": drawn.meeting_id}
    response = await draw_service.client.post(path, json=body)

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    after = (await draw_service.client.get(path)).json()
    assert after == before


async def test_draw_empty_seed_invalid(
    draw_service, open_phase, record_meeting
) -> None:
    phase_id = await open_phase()
    meeting_id = await record_meeting(phase_id)
    path = f"/phases/{phase_id}/draw"

    response = await draw_service.client.post(
        path, json={"seed": "", "meeting_id": meeting_id}
    )

    assert response.status_code == 422
    assert (await draw_service.client.get(path)).status_code == 404


async def test_phase_opened_event(draw_service, open_phase) -> None:
    phase_id = await open_phase(instruments=("convention", "firearms"))

    [envelope] = await draw_service.wait_for_events(
        TOPIC_DRAW, ReviewPhaseOpened.event_type, 1
    )

    opened = payload_of(envelope)
    assert isinstance(opened, ReviewPhaseOpened)
    assert opened.phase_id == phase_id
    assert opened.years == "III-VI"
    assert opened.clusters == [
        Cluster.CRIMINALIZATION,
        Cluster.INTERNATIONAL_COOPERATION,
    ]
    assert opened.instruments == [Instrument.CONVENTION, Instrument.FIREARMS]
    states = opened.states_under_review
    assert "FRA" in states[Instrument.CONVENTION]
    assert "AND" not in states[Instrument.FIREARMS]


async def test_lots_drawn_event_per_assignment(draw_service, draw_phase) -> None:
    drawn = await draw_phase(instruments=("convention", "firearms"))
    phase_id = drawn.phase_id
    assignments = drawn.draw["assignments"]

    envelopes = await draw_service.wait_for_events(
        TOPIC_DRAW, LotsDrawn.event_type, len(assignments)
    )

    assert len(envelopes) == len(assignments)
    events = {}
    for envelope in envelopes:
        lots = payload_of(envelope)
        assert isinstance(lots, LotsDrawn)
        events[(lots.instrument.value, lots.state_under_review)] = lots
    for assignment in assignments:
        key = (assignment["instrument"], assignment["state_under_review"])
        lots = events[key]
        assert lots.phase_id == phase_id, key
        assert [r.iso3 for r in lots.reviewers] == assignment["reviewers"], key
        assert lots.regional_group == assignment["regional_group"], key
        assert lots.similar_legal_system == assignment["similar_legal_system"], key
        assert lots.legal_system_note == assignment["legal_system_note"], key
        assert lots.meeting is not None, key
        assert lots.meeting.meeting_id == drawn.meeting_id, key
        assert lots.redraw_count == 0, key
        assert lots.mode == "per_review", key


async def test_lots_drawn_reviewer_roles(draw_service, draw_phase) -> None:
    await draw_phase(seed="s")

    [envelope, *_] = await draw_service.wait_for_events(
        TOPIC_DRAW, LotsDrawn.event_type, 1
    )

    lots = payload_of(envelope)
    assert isinstance(lots, LotsDrawn)
    same, other = lots.reviewers
    assert same.role == "same_regional_group"
    assert same.regional_group == lots.regional_group
    assert other.role == "other_regional_group"
    assert other.regional_group != lots.regional_group


async def test_lots_drawn_clusters_of_instrument(draw_service, draw_phase) -> None:
    # The Firearms Protocol has no law-enforcement cluster, so its lots name
    # only the prevention cluster of this period.
    drawn = await draw_phase(years="VII-X", instruments=("convention", "firearms"))
    count = len(drawn.draw["assignments"])

    envelopes = await draw_service.wait_for_events(
        TOPIC_DRAW, LotsDrawn.event_type, count
    )

    clusters = {}
    for envelope in envelopes:
        lots = payload_of(envelope)
        assert isinstance(lots, LotsDrawn)
        clusters.setdefault(lots.instrument, set()).add(tuple(lots.clusters))
    assert clusters[Instrument.FIREARMS] == {(Cluster.PREVENTION,)}
    assert clusters[Instrument.CONVENTION] == {
        (Cluster.LAW_ENFORCEMENT, Cluster.PREVENTION)
    }
