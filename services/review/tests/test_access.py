"""Who may call each route of a desk review.

Every route is called by each kind of caller. They are the Secretariat,
the focal point and an expert of the State under review, the focal point
and an expert of a reviewing State, an expert of a State outside the
review, and an observer. Refused callers are tried first, so that their attempts would
show in what the permitted callers then find.
"""

import pytest

from palermo_review.access import NO_ACCESS
from palermo_review.reviews import review_id
from palermo_shared.auth import Role
from palermo_shared.contracts import DrawnReviewer, LotsDrawn
from palermo_shared.reference.instruments import Cluster, Instrument

EVERY_SEAT = {"secretariat", "fp_sur", "expert_sur", "fp_rev", "expert_rev"}
OBSERVATION = {"article": 5, "kind": "good_practice", "text": "A good practice."}
REQUEST = {"kind": "clarification", "text": "Which law?", "due_date": "2026-02-01"}
PERSON = {
    "subject": "someone@example.org",
    "name": "Someone",
    "email": "someone@example.org",
}
MEETING = {"date": "2026-01-05", "participants": ["FRA", "ITA"], "minutes": "Met."}

# (method, path under the review, body, seats allowed)
ROUTES = [
    ("GET", "", None, EVERY_SEAT),
    ("GET", "/observations", None, EVERY_SEAT),
    ("POST", "/observations", OBSERVATION, {"expert_rev"}),
    ("GET", "/earlier-observations", None, EVERY_SEAT),
    ("GET", "/experts", None, EVERY_SEAT),
    ("PUT", "/focal-points/FRA", PERSON, {"secretariat"}),
    ("GET", "/agreements", None, EVERY_SEAT),
    ("POST", "/agreement", None, {"fp_rev", "expert_rev"}),
    ("POST", "/agreement/clearance", None, {"fp_rev"}),
    ("POST", "/reopen", None, {"fp_rev", "expert_rev", "secretariat"}),
    ("GET", "/comments", None, EVERY_SEAT),
    ("PUT", "/comments", {"text": "No objection."}, {"fp_sur", "expert_sur"}),
    ("POST", "/comments/clearance", None, {"fp_sur"}),
    ("POST", "/comments/waiver", None, {"fp_sur"}),
    ("POST", "/complete", {"summary": "Done."}, {"expert_rev", "secretariat"}),
    ("GET", "/summary", None, EVERY_SEAT),
    ("PUT", "/summary", {"summary": "Draft."}, {"expert_rev", "secretariat"}),
    ("PUT", "/summary/translations/fr", {"text": "Résumé."}, {"secretariat"}),
    ("PUT", "/publication", {"summary": True}, {"fp_sur"}),
    ("GET", "/requests", None, EVERY_SEAT),
    ("POST", "/requests", REQUEST, {"expert_rev"}),
    ("POST", "/meetings", MEETING, EVERY_SEAT),
    ("GET", "/meetings", None, EVERY_SEAT),
    (
        "POST",
        "/extensions",
        {"stage": "experts", "days": 7, "reason": "Leave."},
        {"secretariat"},
    ),
    ("GET", "/extensions", None, EVERY_SEAT),
]


def callers(service) -> dict[str, dict[str, str]]:
    return {
        "secretariat": service.secretariat,
        "fp_sur": service.focal_point("ITA"),
        "expert_sur": service.expert("ITA"),
        "fp_rev": service.focal_point("FRA"),
        "expert_rev": service.expert("FRA"),
        "outsider": service.expert("DEU"),
        "observer": service.headers(Role.OBSERVER),
    }


@pytest.fixture
async def seated_review(service, staffed_review) -> str:
    assert (await service.appoint_expert("ITA")).status_code == 201
    return staffed_review


async def check_route(service, method, path, body, allowed) -> None:
    everyone = callers(service)
    refused = [name for name in everyone if name not in allowed]
    for name in [*refused, *sorted(allowed)]:
        response = await service.client.request(
            method, path, json=body, headers=everyone[name]
        )
        if name in allowed:
            assert response.status_code != 403, (name, response.text)
        else:
            assert response.status_code == 403, (name, response.text)


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROUTES)
async def test_review_route_access(
    service, seated_review, method, path, body, allowed
) -> None:
    await check_route(service, method, service.url(path), body, allowed)


async def test_message_routes_access(service, seated_review) -> None:
    created = await service.client.post(
        service.url("/requests"), json=REQUEST, headers=service.expert("FRA")
    )
    messages = service.url(f"/requests/{created.json()['id']}/messages")
    answer = {"kind": "answer", "text": "Article 416 bis of the penal code."}
    clarification = {"kind": "clarification", "text": "Which paragraph?"}

    await check_route(service, "POST", messages, answer, {"fp_sur", "expert_sur"})
    await check_route(service, "POST", messages, clarification, EVERY_SEAT)


@pytest.mark.parametrize(
    ("path", "body", "caller", "detail"),
    [
        (
            "/observations",
            OBSERVATION,
            "fp_rev",
            "only an expert of a reviewing State may record observations",
        ),
        (
            "/comments",
            {"text": "No objection."},
            "expert_rev",
            "only the focal point of the State under review or an expert of "
            "the State under review may comment on the final observations",
        ),
        (
            "/reopen",
            None,
            "fp_sur",
            "only the Secretariat, the focal point of a reviewing State or an "
            "expert of a reviewing State may reopen the observations",
        ),
    ],
)
async def test_refusal_names_allowed_seats(
    service, seated_review, path, body, caller, detail
) -> None:
    method = "PUT" if path == "/comments" else "POST"

    response = await service.client.request(
        method, service.url(path), json=body, headers=callers(service)[caller]
    )

    assert response.status_code == 403
    assert response.json()["detail"] == detail


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [(method, path, body) for method, path, body, _ in ROUTES],
)
async def test_outsider_learns_nothing(
    service, seated_review, method, path, body
) -> None:
    response = await service.client.request(
        method, service.url(path), json=body, headers=service.expert("DEU")
    )

    assert response.status_code == 403
    assert response.json() == {"detail": NO_ACCESS, "code": "forbidden"}
    for word in ("ITA", "FRA", "BRA", "in_progress", "convention"):
        assert word not in response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        *[(method, path, body) for method, path, body, _ in ROUTES],
        ("GET", "/requests/r/messages/m/attachments/a", None),
    ],
)
async def test_outsider_learns_nothing_of_missing_review(
    service, seated_review, method, path, body
) -> None:
    # Review ids derive from their natural key, so an outsider can compute
    # the id of a review that does not exist yet, and the response must not differ.
    missing = review_id("phase-1", "KEN", "convention", "criminalization")

    response = await service.client.request(
        method, f"/reviews/{missing}{path}", json=body, headers=service.expert("DEU")
    )

    assert response.status_code == 403
    assert response.json() == {"detail": NO_ACCESS, "code": "forbidden"}


async def test_outsider_appointment_to_missing_review_forbidden(
    service, seated_review
) -> None:
    missing = review_id("phase-1", "KEN", "convention", "criminalization")

    response = await service.appoint_expert("DEU", missing)

    assert response.status_code == 403
    assert response.json() == {"detail": NO_ACCESS, "code": "forbidden"}


async def test_secretariat_told_review_missing(service, seated_review) -> None:
    missing = review_id("phase-1", "KEN", "convention", "criminalization")

    response = await service.client.get(
        f"/reviews/{missing}", headers=service.secretariat
    )

    assert response.status_code == 404


async def test_published_of_missing_review_tells_nothing(
    service, seated_review
) -> None:
    missing = review_id("phase-1", "KEN", "convention", "criminalization")
    observer = service.headers(Role.OBSERVER)

    open_review = await service.client.get(service.url("/published"), headers=observer)
    no_review = await service.client.get(
        f"/reviews/{missing}/published", headers=observer
    )

    assert open_review.status_code == no_review.status_code == 404
    assert open_review.text.replace(seated_review, missing) == no_review.text


async def test_published_open_to_observer(service, seated_review) -> None:
    await service.complete_fully()

    response = await service.client.get(
        service.url("/published"), headers=service.headers(Role.OBSERVER)
    )

    assert response.status_code == 200
    assert response.json()["summary"] is None
    assert response.json()["observations"] == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        (
            "PUT",
            "/phases/phase-1/focal-points",
            {"focal_points": [{**PERSON, "state": "FRA"}]},
        ),
        ("POST", "/deadlines/check", {}),
        ("GET", "/evaluation?phase_id=phase-1", None),
        ("GET", "/trends", None),
    ],
)
async def test_secretariat_routes_access(
    service, seated_review, method, path, body
) -> None:
    await check_route(service, method, path, body, {"secretariat"})


async def test_list_shows_own_reviews(service, seated_review) -> None:
    everyone = callers(service)

    outsider = await service.client.get("/reviews", headers=everyone["outsider"])
    reviewer = await service.client.get("/reviews", headers=everyone["fp_rev"])
    observer = await service.client.get("/reviews", headers=everyone["observer"])

    assert outsider.json()["total"] == 0
    assert reviewer.json()["total"] == 1
    assert observer.status_code == 403


def other_lots() -> LotsDrawn:
    return LotsDrawn(
        phase_id="phase-1",
        instrument=Instrument.CONVENTION,
        state_under_review="KEN",
        regional_group="African",
        clusters=[Cluster.CRIMINALIZATION],
        reviewers=[
            DrawnReviewer(
                iso3="NGA",
                regional_group="African",
                legal_system="common_law",
                role="same_regional_group",
            ),
            DrawnReviewer(
                iso3="DEU",
                regional_group="Western European and Others",
                legal_system="civil_law",
                role="other_regional_group",
            ),
        ],
        similar_legal_system=True,
    )


async def test_other_review_id_forbidden(service, seated_review) -> None:
    await service.publish(other_lots())
    await service.wait_for_handled(3)
    page = await service.client.get(
        "/reviews", params={"state": "KEN"}, headers=service.secretariat
    )
    [other] = page.json()["items"]

    for name in ("fp_sur", "expert_sur", "fp_rev", "expert_rev"):
        response = await service.client.get(
            f"/reviews/{other['id']}", headers=callers(service)[name]
        )
        assert response.status_code == 403, name
        assert response.json()["detail"] == NO_ACCESS


async def test_unnamed_focal_point_forbidden(service, started_review) -> None:
    response = await service.client.get(
        service.url(), headers=service.focal_point("FRA")
    )

    assert response.status_code == 403
    assert "focal point" in response.json()["detail"]


async def test_focal_point_subject_must_match(service, started_review) -> None:
    await service.name_focal_points()
    other = {**PERSON, "subject": "new-focal-point@fra.example"}
    replaced = await service.client.put(
        service.url("/focal-points/FRA"), json=other, headers=service.secretariat
    )

    response = await service.client.get(
        service.url(), headers=service.focal_point("FRA")
    )

    assert replaced.status_code == 200
    assert response.status_code == 403


async def test_focal_point_for_absent_state_invalid(service, started_review) -> None:
    response = await service.client.put(
        service.url("/focal-points/DEU"), json=PERSON, headers=service.secretariat
    )
    review = await service.review()

    assert response.status_code == 422
    assert response.json()["field"] == "state"
    assert review["focal_points"] == []


async def test_focal_point_unknown_field_invalid(service, started_review) -> None:
    # The State comes from the path, so a State in the body must not pass
    # for a change of State.
    response = await service.client.put(
        service.url("/focal-points/FRA"),
        json={**PERSON, "state": "DEU"},
        headers=service.secretariat,
    )
    review = await service.review()

    assert response.status_code == 422
    assert response.json()["field"] == "state"
    assert response.json()["problems"][0]["message"] == "Extra inputs are not permitted"
    assert review["focal_points"] == []


@pytest.mark.parametrize("state", ["fra", "Fr1"])
async def test_focal_point_malformed_state_invalid(
    service, started_review, state
) -> None:
    response = await service.client.put(
        service.url(f"/focal-points/{state}"), json=PERSON, headers=service.secretariat
    )
    review = await service.review()

    assert response.status_code == 422
    assert response.json()["field"] == "state"
    [problem] = response.json()["problems"]
    assert problem["message"].startswith(f"invalid State code {state!r}; expected")
    assert review["focal_points"] == []


async def test_phase_focal_point_state_checked(service, started_review) -> None:
    states = [{**PERSON, "state": state} for state in ("FRA", "ZZZ")]

    response = await service.client.put(
        "/phases/phase-1/focal-points",
        json={"focal_points": states},
        headers=service.secretariat,
    )
    review = await service.review()

    assert response.status_code == 422
    assert response.json()["detail"].startswith("unknown State ZZZ: neither")
    assert review["focal_points"] == []


async def test_expert_languages_checked(service, started_review) -> None:
    await service.name_focal_points()
    body = {
        "review_ids": [started_review],
        **PERSON,
        "languages": ["de"],
        "expertise": "Criminal law",
    }

    response = await service.client.post(
        "/experts", json=body, headers=service.focal_point("FRA")
    )
    experts = await service.client.get(
        service.url("/experts"), headers=service.secretariat
    )

    assert response.status_code == 422
    assert "languages" in response.text
    assert experts.json() == []


async def test_expert_appointment_all_or_none(service, started_review) -> None:
    await service.publish(other_lots())
    await service.wait_for_handled(3)
    await service.name_focal_points()

    response = await service.appoint_expert("FRA", started_review, "no-such-review")
    experts = await service.client.get(
        service.url("/experts"), headers=service.secretariat
    )

    assert response.status_code == 403
    assert experts.json() == []


@pytest.mark.parametrize("state", ["ken", "ZZZ", "K1"])
async def test_unknown_state_filter_invalid(service, state) -> None:
    response = await service.client.get(
        "/reviews", params={"state": state}, headers=service.secretariat
    )

    assert response.status_code == 422
    assert response.json()["field"] == "state"
