"""Who may read and write a State's response, before and after the draw."""

import asyncio
import time
from typing import Any

import pytest

from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.contracts import DrawnReviewer, LotsDrawn, LotsRedrawn
from palermo_shared.contracts.draw import MeetingReference
from palermo_shared.events import new_event
from palermo_shared.reference.instruments import Cluster, Instrument

RESPONSE = "/phases/phase-1/responses/ITA/convention/criminalization"
ANSWERS = {"article-2.implementation": {"value": "yes"}}
FIREARMS = {"instrument": Instrument.FIREARMS}
FIREARMS_RESPONSE = "/phases/phase-1/responses/ITA/firearms/criminalization"
# Reviewing States read the submitted versions of a response that is a
# draft, so the access checks read the list of versions.
VERSIONS = f"{RESPONSE}/versions"


@pytest.fixture
def tokens(settings) -> LocalIssuer:
    return LocalIssuer.from_key_file(settings.signing_key_path())


@pytest.fixture
async def drafted(service, phase) -> dict[str, Any]:
    """ITA's focal point saved a draft of its convention response."""
    saved = await service.client.put(RESPONSE, json={"answers": ANSWERS})
    assert saved.status_code == 200, saved.text
    body: dict[str, Any] = saved.json()
    return body


def _reviewer(iso3: str) -> DrawnReviewer:
    return DrawnReviewer(
        iso3=iso3,
        regional_group="G",
        legal_system=None,
        role="same_regional_group",
    )


def _lots(*reviewers: str) -> LotsDrawn:
    return LotsDrawn(
        phase_id="phase-1",
        instrument=Instrument.CONVENTION,
        state_under_review="ITA",
        regional_group="Western European and Others",
        clusters=[Cluster.CRIMINALIZATION],
        reviewers=[_reviewer(r) for r in reviewers],
        similar_legal_system=False,
    )


def _redraw(number: int, *reviewers: str) -> LotsRedrawn:
    lots = _lots(*reviewers)
    return LotsRedrawn(
        **lots.model_dump(
            exclude={"redraw_count", "mode", "ruleset_version", "meeting"}
        ),
        replaced=["FRA"],
        redraw_number=number,
        requested_by="FRA",
        reason="No expert available",
        meeting=MeetingReference(
            meeting_id="m-1",
            kind="intersessional",
            date="2025-03-01",
            states_present=["ITA", "FRA", "BRA", "DEU"],
        ),
    )


async def _deliver(service, payload: LotsDrawn | LotsRedrawn) -> None:
    await service.deliver(new_event(payload, source="/palermo/draw", subject="ITA"))


async def _read_as(
    service, tokens, role: Role, state: str | None, path: str = VERSIONS
) -> int:
    response = await service.client.get(path, headers=tokens.headers(role, state))
    return response.status_code


async def _wait_for_status(
    service, tokens, state: str, expected: int, path: str = VERSIONS
) -> None:
    """Wait until an expert of `state` gets `expected` reading `path`."""
    deadline = time.monotonic() + 5
    while await _read_as(service, tokens, Role.EXPERT, state, path) != expected:
        assert time.monotonic() < deadline, f"{state} never got {expected}"
        await asyncio.sleep(0.02)


async def test_request_without_token_is_401(service, drafted) -> None:
    response = await service.client.get(RESPONSE, headers={"Authorization": ""})

    assert response.status_code == 401


async def test_own_expert_drafts(service, drafted, tokens) -> None:
    current = await service.client.get(RESPONSE)
    headers = {
        **tokens.headers(Role.EXPERT, "ITA"),
        "If-Match": current.headers["ETag"],
    }

    saved = await service.client.put(RESPONSE, json={"answers": {}}, headers=headers)

    assert saved.status_code == 200


async def test_own_expert_cannot_submit(service, drafted, tokens) -> None:
    current = await service.client.get(RESPONSE)
    headers = {
        **tokens.headers(Role.EXPERT, "ITA"),
        "If-Match": current.headers["ETag"],
    }

    submitted = await service.client.post(f"{RESPONSE}/submit", headers=headers)
    after = (await service.client.get(RESPONSE)).json()

    assert submitted.status_code == 403
    assert after["status"] == drafted["status"]


@pytest.mark.parametrize(
    ("role", "state"),
    [(Role.SECRETARIAT, None), (Role.FOCAL_POINT, "FRA"), (Role.OBSERVER, None)],
)
async def test_others_cannot_draft(service, drafted, tokens, role, state) -> None:
    headers = tokens.headers(role, state)

    saved = await service.client.put(RESPONSE, json={"answers": {}}, headers=headers)
    after = (await service.client.get(RESPONSE)).json()

    assert saved.status_code == 403
    assert after["answers"] == drafted["answers"]


async def test_secretariat_reads(service, drafted, tokens) -> None:
    assert await _read_as(service, tokens, Role.SECRETARIAT, None) == 200


async def test_observer_cannot_read(service, drafted, tokens) -> None:
    assert await _read_as(service, tokens, Role.OBSERVER, None) == 403


async def test_reviewer_cannot_read_before_draw(service, drafted, tokens) -> None:
    response = await service.client.get(
        RESPONSE, headers=tokens.headers(Role.EXPERT, "FRA")
    )

    assert response.status_code == 403
    assert "answers" not in response.json()


async def test_reviewer_reads_after_draw(service, drafted, tokens) -> None:
    await _deliver(service, _lots("FRA", "BRA"))

    await _wait_for_status(service, tokens, "FRA", 200)
    versions = await service.client.get(
        VERSIONS, headers=tokens.headers(Role.FOCAL_POINT, "BRA")
    )

    assert versions.status_code == 200


@pytest.mark.parametrize("path", [RESPONSE, f"{RESPONSE}/export.json"])
async def test_reviewer_cannot_read_draft(service, drafted, tokens, path) -> None:
    await _deliver(service, _lots("FRA", "BRA"))
    await _wait_for_status(service, tokens, "FRA", 200)

    response = await service.client.get(
        path, headers=tokens.headers(Role.EXPERT, "FRA")
    )

    assert response.status_code == 403
    assert "is a draft" in response.json()["detail"]
    assert "article-2" not in response.text


@pytest.mark.parametrize("path", [RESPONSE, f"{RESPONSE}/export.json"])
async def test_reviewer_reads_submitted(service, phase, tokens, path) -> None:
    answers = await service.complete_answers("ITA", "convention", "criminalization")
    saved = await service.client.put(RESPONSE, json={"answers": answers})
    headers = {"If-Match": saved.headers["ETag"]}
    submitted = await service.client.post(f"{RESPONSE}/submit", headers=headers)
    await _deliver(service, _lots("FRA", "BRA"))
    await _wait_for_status(service, tokens, "FRA", 200)

    response = await service.client.get(
        path, headers=tokens.headers(Role.EXPERT, "FRA")
    )

    assert submitted.status_code == 200, submitted.text
    assert response.status_code == 200
    assert next(iter(answers)) in response.text


async def test_reviewer_cannot_draft(service, drafted, tokens) -> None:
    await _deliver(service, _lots("FRA", "BRA"))
    await _wait_for_status(service, tokens, "FRA", 200)
    headers = tokens.headers(Role.FOCAL_POINT, "FRA")

    saved = await service.client.put(RESPONSE, json={"answers": {}}, headers=headers)

    assert saved.status_code == 403


async def test_other_state_cannot_read_after_draw(service, drafted, tokens) -> None:
    await _deliver(service, _lots("FRA", "BRA"))
    await _wait_for_status(service, tokens, "FRA", 200)

    assert await _read_as(service, tokens, Role.EXPERT, "KEN") == 403


async def test_redraw_moves_access(service, drafted, tokens) -> None:
    await _deliver(service, _lots("FRA", "BRA"))
    await _wait_for_status(service, tokens, "FRA", 200)

    await _deliver(service, _redraw(1, "DEU", "BRA"))
    await _wait_for_status(service, tokens, "DEU", 200)

    assert await _read_as(service, tokens, Role.EXPERT, "FRA") == 403


async def test_replayed_draw_keeps_the_redraw(service, drafted, tokens) -> None:
    await _deliver(service, _redraw(1, "DEU", "BRA"))
    await _wait_for_status(service, tokens, "DEU", 200)

    await _deliver(service, _lots("FRA", "BRA"))
    # Events of one subject are handled in order: once KEN may reach ITA's
    # firearms response (404, as none exists), the replayed draw was handled.
    await _deliver(service, _lots("KEN", "BRA").model_copy(update=FIREARMS))
    await _wait_for_status(service, tokens, "KEN", 404, f"{FIREARMS_RESPONSE}/versions")

    assert await _read_as(service, tokens, Role.EXPERT, "FRA") == 403


async def test_other_states_response_is_out_of_reach(service, phase, tokens) -> None:
    """ITA's focal point changes the State in the URL to write FRA's response."""
    other = RESPONSE.replace("/ITA/", "/FRA/")
    headers = tokens.headers(Role.FOCAL_POINT, "ITA")

    saved = await service.client.put(other, json={"answers": {}}, headers=headers)
    stored = await service.client.get(other)

    assert saved.status_code == 403
    assert stored.status_code == 404


async def test_overview_is_for_the_secretariat(service, phase, tokens) -> None:
    path = "/phases/phase-1/overview"

    refused = await service.client.get(
        path, headers=tokens.headers(Role.FOCAL_POINT, "ITA")
    )
    allowed = await service.client.get(path)

    assert refused.status_code == 403
    assert allowed.status_code == 200


PDF = b"%PDF-1.4 synthetic test document"
CONTRIBUTION = {
    "category": "academia",
    "organization": "University of Palermo",
    "summary": "Comments on article 5.",
    "articles": [5],
}


async def _add_material(service, name: str) -> dict[str, str]:
    """Upload an attachment and record a contribution, both named `name`."""
    uploaded = await service.client.post(
        f"{RESPONSE}/attachments",
        params={"filename": f"{name}.pdf"},
        content=PDF,
        headers={"Content-Type": "application/pdf"},
    )
    contribution = {**CONTRIBUTION, "organization": name}
    recorded = await service.client.post(f"{RESPONSE}/contributions", json=contribution)
    assert uploaded.status_code == 201, uploaded.text
    assert recorded.status_code == 201, recorded.text
    return {"attachment": uploaded.json()["id"], "contribution": recorded.json()["id"]}


async def _submit(service) -> None:
    current = await service.client.get(RESPONSE)
    headers = {"If-Match": current.headers["ETag"]}
    submitted = await service.client.post(f"{RESPONSE}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text


async def _draft_again(service, answers: dict[str, Any]) -> None:
    current = await service.client.get(RESPONSE)
    headers = {"If-Match": current.headers["ETag"]}
    saved = await service.client.put(
        RESPONSE, json={"answers": answers}, headers=headers
    )
    assert saved.status_code == 200, saved.text


@pytest.fixture
async def redrafted(service, phase, tokens) -> dict[str, dict[str, str]]:
    """ITA submitted version 1 with some material, then added more to the
    draft of version 2; FRA and BRA review it."""
    answers = await service.complete_answers("ITA", "convention", "criminalization")
    saved = await service.client.put(RESPONSE, json={"answers": answers})
    assert saved.status_code == 200, saved.text
    submitted = await _add_material(service, "Submitted")
    await _submit(service)
    await _draft_again(service, answers)
    later = await _add_material(service, "Later")
    await _deliver(service, _lots("FRA", "BRA"))
    await _wait_for_status(service, tokens, "FRA", 200)
    return {"submitted": submitted, "later": later}


async def _listed_ids(service, headers: dict[str, str], kind: str) -> list[str]:
    response = await service.client.get(f"{RESPONSE}/{kind}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]


async def test_reviewer_lists_submitted_attachments(service, redrafted, tokens) -> None:
    headers = tokens.headers(Role.EXPERT, "FRA")

    listed = await _listed_ids(service, headers, "attachments")

    assert listed == [redrafted["submitted"]["attachment"]]


async def test_reviewer_downloads_submitted_attachment(
    service, redrafted, tokens
) -> None:
    headers = tokens.headers(Role.EXPERT, "FRA")
    submitted = redrafted["submitted"]["attachment"]
    later = redrafted["later"]["attachment"]

    allowed = await service.client.get(
        f"{RESPONSE}/attachments/{submitted}", headers=headers
    )
    hidden = await service.client.get(
        f"{RESPONSE}/attachments/{later}", headers=headers
    )

    assert allowed.status_code == 200
    assert allowed.content == PDF
    assert hidden.status_code == 404
    assert PDF not in hidden.content


async def test_reviewer_lists_submitted_contributions(
    service, redrafted, tokens
) -> None:
    headers = tokens.headers(Role.FOCAL_POINT, "BRA")

    listed = await _listed_ids(service, headers, "contributions")

    assert listed == [redrafted["submitted"]["contribution"]]


async def test_reviewer_export_leaves_out_later_material(
    service, redrafted, tokens
) -> None:
    headers = tokens.headers(Role.EXPERT, "FRA")

    exported = await service.client.get(
        f"{RESPONSE}/export.json", params={"version": 1}, headers=headers
    )

    assert exported.status_code == 200
    assert "Submitted" in exported.text
    assert "Later" not in exported.text


@pytest.mark.parametrize(
    ("role", "state"),
    [(Role.EXPERT, "ITA"), (Role.FOCAL_POINT, "ITA"), (Role.SECRETARIAT, None)],
)
@pytest.mark.parametrize("kind", ["attachments", "contributions"])
async def test_own_state_sees_later_material(
    service, redrafted, tokens, role, state, kind
) -> None:
    headers = tokens.headers(role, state)
    singular = kind.removesuffix("s")

    listed = await _listed_ids(service, headers, kind)

    assert listed == [redrafted["submitted"][singular], redrafted["later"][singular]]


@pytest.mark.parametrize(
    "path", ["attachments", "contributions", "attachments/{attachment_id}"]
)
async def test_reviewer_refused_before_submission(
    service, drafted, tokens, path
) -> None:
    material = await _add_material(service, "Draft")
    await _deliver(service, _lots("FRA", "BRA"))
    await _wait_for_status(service, tokens, "FRA", 200)
    path = path.format(attachment_id=material["attachment"])

    response = await service.client.get(
        f"{RESPONSE}/{path}", headers=tokens.headers(Role.EXPERT, "FRA")
    )

    assert response.status_code == 403
    assert "Draft" not in response.text
    assert PDF.decode() not in response.text
