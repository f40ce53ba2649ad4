"""Seed commitments, meetings, the draw record and its verification over HTTP."""

import asyncio
import datetime as dt
import hashlib
import json

import pytest

from palermo_shared.contracts.draw import LotsDrawn, MeetingRecorded, SeedCommitted
from palermo_shared.events import TOPIC_DRAW, payload_of


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_seed_commitment_published(draw_service, open_phase) -> None:
    phase_id = await open_phase()
    path = f"/phases/{phase_id}/seed-commitment"

    response = await draw_service.client.post(path, json={"seed_sha256": sha256("x")})

    assert response.status_code == 201
    stored = (await draw_service.client.get(path)).json()
    assert stored["seed_sha256"] == sha256("x")
    [envelope] = await draw_service.wait_for_events(
        TOPIC_DRAW, SeedCommitted.event_type, 1
    )
    event = payload_of(envelope)
    assert isinstance(event, SeedCommitted)
    assert event.seed_sha256 == sha256("x")


async def test_second_commitment_conflicts(draw_service, open_phase) -> None:
    phase_id = await open_phase()
    path = f"/phases/{phase_id}/seed-commitment"
    await draw_service.client.post(path, json={"seed_sha256": sha256("x")})

    response = await draw_service.client.post(path, json={"seed_sha256": sha256("y")})

    assert response.status_code == 409
    stored = (await draw_service.client.get(path)).json()
    assert stored["seed_sha256"] == sha256("x")


async def test_concurrent_commitments_store_one(draw_service, open_phase) -> None:
    phase_id = await open_phase()
    path = f"/phases/{phase_id}/seed-commitment"
    bodies = [{"seed_sha256": sha256(f"seed-{n}")} for n in range(10)]

    responses = await asyncio.gather(
        *(draw_service.client.post(path, json=body) for body in bodies)
    )

    assert sorted(r.status_code for r in responses) == [201] + [409] * 9
    [created] = [r.json() for r in responses if r.status_code == 201]
    assert (await draw_service.client.get(path)).json() == created
    [event] = await draw_service.published(TOPIC_DRAW, SeedCommitted.event_type)
    assert payload_of(event).seed_sha256 == created["seed_sha256"]


async def test_concurrent_draws_draw_once(
    draw_service, open_phase, record_meeting, commit_seed
) -> None:
    phase_id = await open_phase()
    await commit_seed(phase_id, "meeting-7")
    body = {"seed": "meeting-7", "meeting_id": await record_meeting(phase_id)}
    path = f"/phases/{phase_id}/draw"

    responses = await asyncio.gather(
        *(draw_service.client.post(path, json=body) for _ in range(10))
    )

    assert sorted(r.status_code for r in responses) == [201] + [409] * 9
    [drawn] = [r.json() for r in responses if r.status_code == 201]
    lots = await draw_service.published(TOPIC_DRAW, LotsDrawn.event_type)
    assert len(lots) == len(drawn["assignments"])


@pytest.mark.parametrize("digest", ["abc", "G" * 64, sha256("x").upper()])
async def test_commitment_not_sha256_invalid(draw_service, open_phase, digest) -> None:
    phase_id = await open_phase()
    path = f"/phases/{phase_id}/seed-commitment"

    response = await draw_service.client.post(path, json={"seed_sha256": digest})

    assert response.status_code == 422
    assert response.json()["field"] == "seed_sha256"
    assert (await draw_service.client.get(path)).status_code == 404


async def test_seed_not_matching_commitment(
    draw_service, open_phase, commit_seed, record_meeting
) -> None:
    phase_id = await open_phase()
    await commit_seed(phase_id, "committed")
    meeting_id = await record_meeting(phase_id)
    path = f"/phases/{phase_id}/draw"

    body = {"seed": "another", "meeting_id": meeting_id}
    response = await draw_service.client.post(path, json=body)

    assert response.status_code == 409
    assert "does not match the commitment" in response.json()["detail"]
    assert (await draw_service.client.get(path)).status_code == 404


async def test_draw_without_commitment_conflicts(
    draw_service, open_phase, record_meeting
) -> None:
    phase_id = await open_phase()
    meeting_id = await record_meeting(phase_id)
    path = f"/phases/{phase_id}/draw"

    response = await draw_service.client.post(
        path, json={"seed": "s", "meeting_id": meeting_id}
    )

    assert response.status_code == 409
    assert "seed-commitment" in response.json()["detail"]
    assert (await draw_service.client.get(path)).status_code == 404


async def test_draw_from_announced_values(
    draw_service, open_phase, record_meeting
) -> None:
    phase_id = await open_phase()
    meeting_id = await record_meeting(phase_id)
    body = {"announced_values": ["17", "3", "42"], "meeting_id": meeting_id}

    response = await draw_service.client.post(f"/phases/{phase_id}/draw", json=body)

    assert response.status_code == 201
    assert response.json()["seed"] == "17/3/42/"
    assert response.json()["seed_sha256"] is None


# The seed strips each value, so a blank one would add an empty value.
@pytest.mark.parametrize("value", ["a/b", "   "], ids=["separator", "blank"])
async def test_announced_value_invalid(
    draw_service, open_phase, record_meeting, value
) -> None:
    phase_id = await open_phase()
    meeting_id = await record_meeting(phase_id)
    body = {"announced_values": [value, "c"], "meeting_id": meeting_id}

    response = await draw_service.client.post(f"/phases/{phase_id}/draw", json=body)

    assert response.status_code == 422
    assert response.json()["field"] == "announced_values.0"
    assert (
        await draw_service.client.get(f"/phases/{phase_id}/draw")
    ).status_code == 404


async def test_announced_values_with_commitment_conflict(
    draw_service, open_phase, commit_seed, record_meeting
) -> None:
    phase_id = await open_phase()
    await commit_seed(phase_id, "committed")
    meeting_id = await record_meeting(phase_id)
    body = {"announced_values": ["1"], "meeting_id": meeting_id}

    response = await draw_service.client.post(f"/phases/{phase_id}/draw", json=body)

    assert response.status_code == 409
    assert (
        await draw_service.client.get(f"/phases/{phase_id}/draw")
    ).status_code == 404


@pytest.mark.parametrize(
    "body",
    [{}, {"seed": "s", "announced_values": ["1"]}],
    ids=["neither", "both"],
)
async def test_draw_seed_or_values_required(
    draw_service, open_phase, record_meeting, body
) -> None:
    phase_id = await open_phase()
    meeting_id = await record_meeting(phase_id)

    response = await draw_service.client.post(
        f"/phases/{phase_id}/draw", json={**body, "meeting_id": meeting_id}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "seed"


async def test_draw_unknown_meeting_invalid(
    draw_service, open_phase, commit_seed
) -> None:
    phase_id = await open_phase()
    await commit_seed(phase_id, "s")

    response = await draw_service.client.post(
        f"/phases/{phase_id}/draw", json={"seed": "s", "meeting_id": "nowhere"}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "meeting_id"
    assert (
        await draw_service.client.get(f"/phases/{phase_id}/draw")
    ).status_code == 404


async def test_draw_at_regular_session_invalid(
    draw_service, open_phase, commit_seed, record_meeting
) -> None:
    phase_id = await open_phase()
    await commit_seed(phase_id, "s")
    meeting_id = await record_meeting(phase_id, kind="regular_session")

    response = await draw_service.client.post(
        f"/phases/{phase_id}/draw", json={"seed": "s", "meeting_id": meeting_id}
    )

    assert response.status_code == 422
    assert "intersessional" in response.json()["detail"]


async def test_meeting_before_commitment_invalid(
    draw_service, open_phase, commit_seed, record_meeting
) -> None:
    phase_id = await open_phase()
    await commit_seed(phase_id, "s")
    committed = await draw_service.client.get(f"/phases/{phase_id}/seed-commitment")
    committed_on = dt.datetime.fromisoformat(committed.json()["committed_at"]).date()
    day_before = committed_on - dt.timedelta(days=1)
    meeting_id = await record_meeting(phase_id, date=day_before.isoformat())

    response = await draw_service.client.post(
        f"/phases/{phase_id}/draw", json={"seed": "s", "meeting_id": meeting_id}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "meeting_id"
    assert str(day_before) in response.json()["detail"]
    assert str(committed_on) in response.json()["detail"]
    drawn = await draw_service.client.get(f"/phases/{phase_id}/draw")
    assert drawn.status_code == 404


async def test_meeting_of_other_phase_invalid(
    draw_service, open_phase, commit_seed, record_meeting
) -> None:
    phase_id = await open_phase()
    other_phase = await open_phase(instruments=("firearms",))
    await commit_seed(phase_id, "s")
    meeting_id = await record_meeting(other_phase)

    response = await draw_service.client.post(
        f"/phases/{phase_id}/draw", json={"seed": "s", "meeting_id": meeting_id}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "meeting_id"


async def test_meeting_recorded(draw_service, open_phase, record_meeting) -> None:
    phase_id = await open_phase()

    meeting_id = await record_meeting(phase_id, states_present=("KEN", "FRA"))

    [meeting] = (await draw_service.client.get(f"/phases/{phase_id}/meetings")).json()
    assert meeting["id"] == meeting_id
    assert meeting["states_present"] == ["FRA", "KEN"]
    [envelope] = await draw_service.wait_for_events(
        TOPIC_DRAW, MeetingRecorded.event_type, 1
    )
    event = payload_of(envelope)
    assert isinstance(event, MeetingRecorded)
    assert event.meeting.kind == "intersessional"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "plenary"}, "kind"),
        ({"states_present": ["ken"]}, "states_present"),
        ({"states_present": []}, "states_present"),
        ({"states_present": ["KEN", "FRA", "KEN"]}, "states_present"),
        ({"date": "someday"}, "date"),
        ({"date": "2000-11-14"}, "date"),
        ({"date": "2999-01-01"}, "date"),
    ],
)
async def test_meeting_invalid(draw_service, open_phase, body, field) -> None:
    phase_id = await open_phase()
    meeting = {
        "kind": "intersessional",
        "date": "2025-01-01",
        "states_present": ["KEN"],
    }

    response = await draw_service.client.post(
        f"/phases/{phase_id}/meetings", json={**meeting, **body}
    )

    assert response.status_code == 422
    fields = [p["field"].split(".")[0] for p in response.json()["problems"]]
    assert field in fields
    assert (await draw_service.client.get(f"/phases/{phase_id}/meetings")).json() == []


async def test_meeting_unknown_state_invalid(draw_service, open_phase) -> None:
    phase_id = await open_phase()
    meeting = {
        "kind": "intersessional",
        "date": "2025-01-01",
        "states_present": ["XXX"],
    }

    response = await draw_service.client.post(
        f"/phases/{phase_id}/meetings", json=meeting
    )

    assert response.status_code == 422
    assert response.json()["field"] == "states_present"
    assert "XXX" in response.json()["detail"]


async def test_record_has_all_inputs(draw_service, draw_phase) -> None:
    drawn = await draw_phase(instruments=("convention", "firearms"))

    response = await draw_service.client.get(f"/phases/{drawn.phase_id}/draw/record")

    assert response.status_code == 200
    record = response.json()
    assert record["seed"] == drawn.seed
    assert record["seed_sha256"] == sha256(drawn.seed)
    assert record["ruleset_version"] == 2
    assert record["mode"] == "per_review"
    assert record["meeting"]["meeting_id"] == drawn.meeting_id
    assert set(record["parties"]) == {"convention", "firearms"}
    [kenya] = [p for p in record["parties"]["convention"] if p["iso3"] == "KEN"]
    assert set(kenya) == {"iso3", "regional_group", "legal_system"}
    assert kenya["regional_group"] == "African"
    assert record["redraws"] == []
    assert len(record["assignments"]) == len(drawn.draw["assignments"])


async def test_stored_draw_verified(draw_service, draw_phase) -> None:
    drawn = await draw_phase(instruments=("convention", "trafficking_in_persons"))

    response = await draw_service.client.get(
        f"/phases/{drawn.phase_id}/draw/verification"
    )

    assert response.status_code == 200
    assert response.json() == {
        "phase_id": drawn.phase_id,
        "verified": True,
        "differences": [],
    }


async def published_record(draw_service, draw_phase) -> dict:
    """Draw a phase and return its published record, as a verifier reads it."""
    drawn = await draw_phase()
    path = f"/phases/{drawn.phase_id}/draw/record"
    return (await draw_service.client.get(path)).json()


async def test_tampered_record_refuted(draw_service, draw_phase) -> None:
    record = await published_record(draw_service, draw_phase)
    first = record["assignments"][0]
    first["other_group_reviewer"] = "ZZZ"

    response = await draw_service.client.post("/verifications", json=record)

    verification = response.json()
    assert verification["verified"] is False
    assert any("ZZZ" in d for d in verification["differences"])
    assert any(first["state_under_review"] in d for d in verification["differences"])


async def test_record_with_other_seed_refuted(draw_service, draw_phase) -> None:
    record = await published_record(draw_service, draw_phase)
    record["seed"] = "another seed"

    response = await draw_service.client.post("/verifications", json=record)

    differences = response.json()["differences"]
    assert any("commitment" in d for d in differences)
    assert len(differences) > 10


@pytest.mark.parametrize(
    ("change", "difference"),
    [
        ({"seed_sha256": None}, "names a commitment but publishes no seed_sha256"),
        (
            {"seed_source": "announced_values", "seed_sha256": None},
            "names announced values but publishes none",
        ),
    ],
    ids=["commitment-removed", "values-missing"],
)
async def test_record_without_seed_proof_refuted(
    draw_service, draw_phase, change, difference
) -> None:
    drawn = await draw_phase()
    path = f"/phases/{drawn.phase_id}/draw/record"
    record = {**(await draw_service.client.get(path)).json(), **change}

    response = await draw_service.client.post("/verifications", json=record)

    assert response.json()["verified"] is False
    assert difference in response.json()["differences"][0]


async def test_record_with_repeated_party_refuted(draw_service, draw_phase) -> None:
    record = await published_record(draw_service, draw_phase)
    parties = record["parties"]["convention"]
    parties.append(parties[0])

    response = await draw_service.client.post("/verifications", json=record)

    differences = response.json()["differences"]
    assert response.json()["verified"] is False
    assert f"{parties[0]['iso3']} is listed 2 times" in differences[0]


@pytest.mark.parametrize(
    ("section", "label"),
    [
        (("assignments",), "current draw"),
        (("initial", "assignments"), "initial draw"),
    ],
    ids=["current", "initial"],
)
async def test_record_with_repeated_assignment_refuted(
    draw_service, draw_phase, section, label
) -> None:
    record = await published_record(draw_service, draw_phase)
    assignments = record
    for key in section:
        assignments = assignments[key]
    # A second entry for the same State, first in the list, with another
    # reviewer from the same group.
    forged = {
        **assignments[0],
        "same_group_reviewer": assignments[1]["same_group_reviewer"],
    }
    assignments.insert(0, forged)

    response = await draw_service.client.post("/verifications", json=record)

    verification = response.json()
    instrument, state = forged["instrument"], forged["state_under_review"]
    assert verification["verified"] is False
    assert (
        f"{label}, {instrument} {state}: listed 2 times" in verification["differences"]
    )


async def test_record_with_repeated_not_drawn_refuted(draw_service, draw_phase) -> None:
    drawn = await draw_phase()
    path = f"/phases/{drawn.phase_id}/draw/record"
    record = (await draw_service.client.get(path)).json()
    not_drawn = record["initial"]["not_drawn"]
    not_drawn.append(not_drawn[0])

    response = await draw_service.client.post("/verifications", json=record)

    verification = response.json()
    instrument, state = not_drawn[0]["instrument"], not_drawn[0]["state"]
    expected = f"initial draw, not drawn, {instrument} {state}: listed 2 times"
    assert verification["verified"] is False
    assert expected in verification["differences"]


@pytest.mark.parametrize(
    "where", [(), ("parties", "convention", 0)], ids=["record", "party"]
)
async def test_record_with_unknown_field_verified(
    draw_service, draw_phase, where
) -> None:
    record = await published_record(draw_service, draw_phase)
    part = record
    for key in where:
        part = part[key]
    part["signed_by"] = "a later release"

    response = await draw_service.client.post("/verifications", json=record)

    assert response.status_code == 200
    assert response.json()["verified"] is True


async def test_record_with_repeated_instrument_invalid(
    draw_service, draw_phase
) -> None:
    record = await published_record(draw_service, draw_phase)
    record["instruments"].append(record["instruments"][0])

    response = await draw_service.client.post("/verifications", json=record)

    assert response.status_code == 422
    assert response.json()["field"] == "instruments"
    assert "listed more than once" in response.text


@pytest.mark.parametrize(
    "where",
    [("seed",), ("phase_id",), ("assignments", 0, "state_under_review")],
    ids=["seed", "phase_id", "assignment"],
)
async def test_record_with_lone_surrogate_invalid(
    draw_service, draw_phase, where
) -> None:
    record = await published_record(draw_service, draw_phase)
    part = record
    for key in where[:-1]:
        part = part[key]
    part[where[-1]] = "\ud800"

    # json.dumps escapes the surrogate as \ud800, the only way JSON carries it.
    response = await draw_service.client.post(
        "/verifications",
        content=json.dumps(record),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["field"] == ".".join(map(str, where))


async def test_record_roundtrip_json(draw_service, draw_phase) -> None:
    drawn = await draw_phase()
    path = f"/phases/{drawn.phase_id}/draw/record"
    text = (await draw_service.client.get(path)).text

    response = await draw_service.client.post(
        "/verifications", content=text, headers={"content-type": "application/json"}
    )

    assert response.json()["verified"] is True
    assert json.loads(text)["phase_id"] == drawn.phase_id


async def test_record_before_draw_not_found(draw_service, open_phase) -> None:
    phase_id = await open_phase()

    response = await draw_service.client.get(f"/phases/{phase_id}/draw/record")

    assert response.status_code == 404


async def test_per_instrument_mode_drawn(draw_service, draw_phase) -> None:
    drawn = await draw_phase(
        instruments=("convention", "firearms"), mode="per_instrument"
    )

    phase = (await draw_service.client.get(f"/phases/{drawn.phase_id}")).json()
    assert phase["mode"] == "per_instrument"
    assert drawn.draw["mode"] == "per_instrument"
    verification = await draw_service.client.get(
        f"/phases/{drawn.phase_id}/draw/verification"
    )
    assert verification.json()["verified"] is True


async def test_unknown_mode_invalid(draw_service) -> None:
    response = await draw_service.client.post("/phases", json={"mode": "by_lottery"})

    assert response.status_code == 422
    assert response.json()["field"] == "mode"
