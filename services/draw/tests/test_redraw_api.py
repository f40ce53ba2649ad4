"""Redraws over HTTP: who may request them, how many, what they replace."""

import asyncio
import datetime as dt
import json

import pytest

from palermo_shared.contracts.draw import LotsRedrawn, RedrawRequested
from palermo_shared.events import TOPIC_DRAW, payload_of

DECISION = {
    "decided_by": "Working group chair",
    "decided_on": "2025-03-01",
    "reason": "The reviewing State has no expert available this year",
}


def assignment_of(draw: dict, state: str, instrument: str = "convention") -> dict:
    [found] = [
        a
        for a in draw["assignments"]
        if a["state_under_review"] == state and a["instrument"] == instrument
    ]
    return found


async def snapshot(draw_service, phase_id: str) -> tuple[dict, list]:
    draw = (await draw_service.client.get(f"/phases/{phase_id}/draw")).json()
    redraws = (await draw_service.client.get(f"/phases/{phase_id}/redraws")).json()
    return draw, redraws


@pytest.fixture
async def drawn(draw_phase):
    return await draw_phase(seed="redraws", mode="per_instrument")


def redraw_body(drawn, requested_by: str, state: str = "KEN", **extra) -> dict:
    return {
        "instrument": "convention",
        "state_under_review": state,
        "requested_by": requested_by,
        "reason": "conflict of interest",
        "meeting_id": drawn.meeting_id,
        "seed": f"redraw-{requested_by}-{len(extra)}",
        **extra,
    }


async def post_redraw(draw_service, drawn, body: dict):
    return await draw_service.client.post(
        f"/phases/{drawn.phase_id}/redraws", json=body
    )


async def test_reviewer_request_replaces_it(draw_service, drawn) -> None:
    before = assignment_of(drawn.draw, "KEN")
    same, other = before["reviewers"]

    response = await post_redraw(draw_service, drawn, redraw_body(drawn, same))

    assert response.status_code == 201, response.text
    assert response.json()["replaced"] == [same]
    draw, redraws = await snapshot(draw_service, drawn.phase_id)
    after = assignment_of(draw, "KEN")
    assert after["reviewers"][0] != same
    assert after["reviewers"][1] == other
    assert after["redraw_count"] == 1
    assert len(redraws) == 1
    assert redraws[0]["requested_by"] == same


async def test_state_request_replaces_both(draw_service, drawn) -> None:
    before = assignment_of(drawn.draw, "KEN")["reviewers"]

    response = await post_redraw(draw_service, drawn, redraw_body(drawn, "KEN"))

    assert response.status_code == 201, response.text
    after = assignment_of((await snapshot(draw_service, drawn.phase_id))[0], "KEN")
    assert after["reviewers"][0] != before[0]
    assert after["reviewers"][1] != before[1]


async def test_state_request_names_one(draw_service, drawn) -> None:
    same, other = assignment_of(drawn.draw, "KEN")["reviewers"]
    body = redraw_body(drawn, "KEN", reviewers=[other])

    response = await post_redraw(draw_service, drawn, body)

    after = assignment_of((await snapshot(draw_service, drawn.phase_id))[0], "KEN")
    assert response.json()["replaced"] == [other]
    assert after["reviewers"][0] == same
    assert after["reviewers"][1] != other


async def test_redraw_events_published(draw_service, drawn) -> None:
    same, _ = assignment_of(drawn.draw, "KEN")["reviewers"]

    await post_redraw(draw_service, drawn, redraw_body(drawn, same))

    [requested] = await draw_service.wait_for_events(
        TOPIC_DRAW, RedrawRequested.event_type, 1
    )
    [redrawn] = await draw_service.wait_for_events(
        TOPIC_DRAW, LotsRedrawn.event_type, 1
    )
    request = payload_of(requested)
    lots = payload_of(redrawn)
    assert isinstance(request, RedrawRequested)
    assert isinstance(lots, LotsRedrawn)
    assert request.requested_by == same
    assert request.requests_by_state == 1
    assert lots.phase_id == drawn.phase_id
    assert lots.state_under_review == "KEN"
    assert lots.replaced == [same]
    assert lots.redraw_number == 1
    assert lots.requested_by == same
    assert lots.reason == "conflict of interest"
    assert lots.clusters == ["criminalization", "international_cooperation"]
    assert [r.role for r in lots.reviewers] == [
        "same_regional_group",
        "other_regional_group",
    ]
    assert lots.reviewers[0].iso3 != same
    assert lots.meeting.meeting_id == drawn.meeting_id
    assert redrawn.subject == "KEN/convention"


async def test_third_redraw_needs_decision(draw_service, drawn) -> None:
    for attempt in range(2):
        body = redraw_body(drawn, "KEN", seed=f"attempt-{attempt}")
        assert (await post_redraw(draw_service, drawn, body)).status_code == 201
    before = await snapshot(draw_service, drawn.phase_id)

    response = await post_redraw(draw_service, drawn, redraw_body(drawn, "KEN"))

    assert response.status_code == 409
    assert "exceptional_decision" in response.json()["detail"]
    assert await snapshot(draw_service, drawn.phase_id) == before


async def test_concurrent_redraws_keep_limit(draw_service, drawn) -> None:
    bodies = [redraw_body(drawn, "KEN", seed=f"attempt-{n}") for n in range(12)]

    responses = await asyncio.gather(
        *(post_redraw(draw_service, drawn, body) for body in bodies)
    )

    assert sorted(r.status_code for r in responses) == [201] * 2 + [409] * 10
    redraws = (await snapshot(draw_service, drawn.phase_id))[1]
    assert [r["number"] for r in redraws] == [1, 2]
    requested = await draw_service.published(TOPIC_DRAW, RedrawRequested.event_type)
    assert len(requested) == 2


async def test_third_redraw_with_decision(draw_service, drawn) -> None:
    for attempt in range(2):
        body = redraw_body(drawn, "KEN", seed=f"attempt-{attempt}")
        await post_redraw(draw_service, drawn, body)

    body = redraw_body(drawn, "KEN", exceptional_decision=DECISION)
    response = await post_redraw(draw_service, drawn, body)

    assert response.status_code == 201, response.text
    assert (
        response.json()["exceptional_decision"]["decided_by"] == DECISION["decided_by"]
    )
    redraws = (await snapshot(draw_service, drawn.phase_id))[1]
    assert [r["number"] for r in redraws] == [1, 2, 3]


async def test_reviewer_allowance_separate(draw_service, drawn) -> None:
    # The State under review's two requests leave each reviewer its own two.
    for attempt in range(2):
        body = redraw_body(drawn, "KEN", seed=f"attempt-{attempt}")
        await post_redraw(draw_service, drawn, body)
    draw = (await snapshot(draw_service, drawn.phase_id))[0]
    same, _ = assignment_of(draw, "KEN")["reviewers"]

    response = await post_redraw(draw_service, drawn, redraw_body(drawn, same))

    assert response.status_code == 201, response.text


async def test_outsider_request_forbidden(draw_service, drawn) -> None:
    reviewers = set(assignment_of(drawn.draw, "KEN")["reviewers"])
    outsider = next(
        a["state_under_review"]
        for a in drawn.draw["assignments"]
        if a["state_under_review"] not in reviewers | {"KEN"}
    )
    before = await snapshot(draw_service, drawn.phase_id)

    response = await post_redraw(draw_service, drawn, redraw_body(drawn, outsider))

    assert response.status_code == 403
    assert outsider in response.json()["detail"]
    assert "only the State under review" in response.json()["detail"]
    assert await snapshot(draw_service, drawn.phase_id) == before


async def test_reviewer_cannot_replace_other(draw_service, drawn) -> None:
    same, other = assignment_of(drawn.draw, "KEN")["reviewers"]
    before = await snapshot(draw_service, drawn.phase_id)

    body = redraw_body(drawn, same, reviewers=[other])
    response = await post_redraw(draw_service, drawn, body)

    assert response.status_code == 403
    assert response.json()["field"] == "reviewers"
    assert f"{same} may request only its own replacement" in response.json()["detail"]
    assert await snapshot(draw_service, drawn.phase_id) == before


async def test_reviewer_may_name_itself(draw_service, drawn) -> None:
    same, _ = assignment_of(drawn.draw, "KEN")["reviewers"]

    body = redraw_body(drawn, same, reviewers=[same])
    response = await post_redraw(draw_service, drawn, body)

    assert response.status_code == 201, response.text
    assert response.json()["replaced"] == [same]


async def test_replaced_reviewer_loses_standing(draw_service, drawn) -> None:
    same, _ = assignment_of(drawn.draw, "KEN")["reviewers"]
    await post_redraw(draw_service, drawn, redraw_body(drawn, same))

    response = await post_redraw(draw_service, drawn, redraw_body(drawn, same))

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"instrument": "firearms"}, "instrument"),
        ({"state_under_review": "XXX"}, "state_under_review"),
        ({"state_under_review": "VAT"}, "state_under_review"),
        ({"requested_by": "XXX"}, "requested_by"),
        ({"meeting_id": "nowhere"}, "meeting_id"),
        ({"reviewers": ["FRA", "FRA"]}, "reviewers"),
    ],
)
async def test_redraw_invalid_field(draw_service, drawn, change, field) -> None:
    body = {**redraw_body(drawn, "KEN"), **change}
    before = await snapshot(draw_service, drawn.phase_id)

    response = await post_redraw(draw_service, drawn, body)

    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert await snapshot(draw_service, drawn.phase_id) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"instrument": "corruption"}, "instrument"),
        ({"state_under_review": "ken"}, "state_under_review"),
        ({"requested_by": "KENYA"}, "requested_by"),
        ({"reason": ""}, "reason"),
        ({"seed": ""}, "seed"),
        ({"exceptional_decision": {"decided_by": "chair"}}, "exceptional_decision"),
        ({"reason": "   "}, "reason"),
        (
            {"exceptional_decision": {**DECISION, "decided_by": " "}},
            "exceptional_decision",
        ),
        ({"exceptional_decision": {**DECISION, "reason": ""}}, "exceptional_decision"),
        (
            {"exceptional_decision": {**DECISION, "decided_on": "2099-01-01"}},
            "exceptional_decision",
        ),
    ],
)
async def test_redraw_malformed_field(draw_service, drawn, change, field) -> None:
    body = {**redraw_body(drawn, "KEN"), **change}

    response = await post_redraw(draw_service, drawn, body)

    assert response.status_code == 422
    fields = [p["field"].split(".")[0] for p in response.json()["problems"]]
    assert field in fields
    assert (await snapshot(draw_service, drawn.phase_id))[1] == []


async def test_redraw_unknown_phase(draw_service, drawn) -> None:
    body = redraw_body(drawn, "KEN")

    response = await draw_service.client.post("/phases/nowhere/redraws", json=body)

    assert response.status_code == 404
    assert "nowhere" in response.json()["detail"]


async def test_redraw_before_draw_conflict(draw_service, open_phase, drawn) -> None:
    phase_id = await open_phase(years="VII-X")

    response = await draw_service.client.post(
        f"/phases/{phase_id}/redraws", json=redraw_body(drawn, "KEN")
    )

    assert response.status_code == 409
    assert "have not been drawn yet" in response.json()["detail"]


async def test_redraw_at_regular_session(draw_service, drawn, record_meeting) -> None:
    meeting_id = await record_meeting(drawn.phase_id, kind="regular_session")
    body = redraw_body(drawn, "KEN", meeting_id=meeting_id)

    response = await post_redraw(draw_service, drawn, body)

    assert response.status_code == 201
    assert response.json()["meeting_id"] == meeting_id


async def test_redraw_before_draw_meeting_invalid(
    draw_service, drawn, record_meeting
) -> None:
    # The fixture records the meeting of the draw today (UTC).
    draw_day = dt.datetime.now(dt.UTC).date()
    day_before = (draw_day - dt.timedelta(days=1)).isoformat()
    meeting_id = await record_meeting(
        drawn.phase_id, kind="regular_session", date=day_before
    )
    body = redraw_body(drawn, "KEN", meeting_id=meeting_id)

    response = await post_redraw(draw_service, drawn, body)
    redraws = await draw_service.client.get(f"/phases/{drawn.phase_id}/redraws")

    assert response.status_code == 422
    assert response.json()["field"] == "meeting_id"
    assert f"before the meeting of {draw_day}" in response.json()["detail"]
    assert redraws.json() == []


async def test_redraws_keep_record_verified(draw_service, drawn) -> None:
    for state in ("KEN", "FRA", "BRA"):
        body = redraw_body(drawn, state, state=state)
        assert (await post_redraw(draw_service, drawn, body)).status_code == 201
    path = f"/phases/{drawn.phase_id}/draw"

    verification = (await draw_service.client.get(f"{path}/verification")).json()
    record = (await draw_service.client.get(f"{path}/record")).json()

    assert verification["verified"] is True, verification["differences"]
    assert [r["state_under_review"] for r in record["redraws"]] == ["KEN", "FRA", "BRA"]


async def test_tampered_redraw_refuted(draw_service, drawn) -> None:
    await post_redraw(draw_service, drawn, redraw_body(drawn, "KEN"))
    path = f"/phases/{drawn.phase_id}/draw/record"
    record = (await draw_service.client.get(path)).json()
    record["redraws"][0]["seed"] = "chosen afterwards"

    response = await draw_service.client.post("/verifications", json=record)

    differences = response.json()["differences"]
    assert response.json()["verified"] is False
    assert any(d.startswith("redraw 1") for d in differences)


async def test_exhausted_group_explained(draw_service, draw_phase) -> None:
    # Bahrain's same-group pool for the Firearms Protocol is small, so
    # repeated redraws with exceptional decisions eventually exhaust it.
    drawn = await draw_phase(seed="exhaust", instruments=("firearms",))
    [target] = [a for a in drawn.draw["assignments"] if a["instrument"] == "firearms"][
        :1
    ]
    state = target["state_under_review"]
    responses = []
    for attempt in range(60):
        body = {
            **redraw_body(drawn, state, state=state, seed=f"attempt-{attempt}"),
            "instrument": "firearms",
            "exceptional_decision": DECISION,
        }
        response = await post_redraw(draw_service, drawn, body)
        responses.append(response.status_code)
        if response.status_code != 201:
            break
    before = await snapshot(draw_service, drawn.phase_id)

    assert response.status_code == 409
    assert "no replacement can be drawn" in response.json()["detail"]
    assert responses[:-1] == [201] * (len(responses) - 1)
    assert await snapshot(draw_service, drawn.phase_id) == before


async def test_protocol_reviewer_names_instrument(draw_service, draw_phase) -> None:
    # In per_review mode a reviewer drawn for a Protocol alone is part of the
    # review, but asking about the Convention, which it does not review, is
    # a 422 on the instrument.
    drawn = await draw_phase(
        seed="protocol", instruments=("convention", "smuggling_of_migrants")
    )
    by_key = {
        (a["instrument"], a["state_under_review"]): a for a in drawn.draw["assignments"]
    }
    state, extra = next(
        (state, reviewer)
        for (instrument, state), a in sorted(by_key.items())
        if instrument == "smuggling_of_migrants" and ("convention", state) in by_key
        for reviewer in a["reviewers"]
        if reviewer not in by_key[("convention", state)]["reviewers"]
    )
    before = await snapshot(draw_service, drawn.phase_id)

    body = redraw_body(drawn, extra, state=state)
    response = await post_redraw(draw_service, drawn, body)

    assert response.status_code == 422
    assert response.json()["field"] == "instrument"
    assert await snapshot(draw_service, drawn.phase_id) == before
    protocol = {**body, "instrument": "smuggling_of_migrants"}
    assert (await post_redraw(draw_service, drawn, protocol)).status_code == 201


async def test_lone_surrogate_invalid(draw_service, drawn) -> None:
    same, _other = assignment_of(drawn.draw, "KEN")["reviewers"]
    body = redraw_body(drawn, same, meeting_id="a\ud800b")

    # json.dumps escapes the surrogate as \ud800, the only way JSON carries it.
    response = await draw_service.client.post(
        f"/phases/{drawn.phase_id}/redraws",
        content=json.dumps(body),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["field"] == "meeting_id"
    assert "lone surrogate U+D800 at position 1" in response.text
    _draw, redraws = await snapshot(draw_service, drawn.phase_id)
    assert redraws == []
