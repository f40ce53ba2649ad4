"""The Secretariat's cross-State view: aggregated, listed by State code, unranked."""

from typing import Any

PHASE = "/phases/phase-1"


async def submit(service, state: str, obstacles: str, need: str | None) -> None:
    answers: dict[str, Any] = await service.complete_answers(
        state, "convention", "criminalization"
    )
    answers["article-5.obstacles"] = {"value": obstacles}
    answers["article-5.practice"] = {"value": f"Practice of {state}."}
    if need:
        answers["article-5.assistance"] = {
            "value": [{"type": need, "priority": "high"}]
        }
    path = f"{PHASE}/responses/{state}/convention/criminalization"
    saved = await service.client.put(path, json={"answers": answers})
    submitted = await service.client.post(
        f"{path}/submit", headers={"If-Match": saved.headers["ETag"]}
    )
    assert submitted.status_code == 200, submitted.text


async def article_5(service, **params: str) -> list[dict[str, Any]]:
    response = await service.client.get(
        f"{PHASE}/overview", params={"article": "5", **params}
    )
    assert response.status_code == 200, response.text
    groups: list[dict[str, Any]] = response.json()["groups"]
    return groups


async def test_grouped_by_regional_group(service, phase) -> None:
    await submit(service, "ITA", "Few prosecutors.", "capacity_building")
    await submit(service, "FRA", "Backlog.", "capacity_building")
    await submit(service, "KEN", "Training.", None)

    groups = await article_5(service)

    by_group = {g["regional_group"]: g for g in groups}
    western = by_group["Western European and Others"]
    assert set(by_group) == {"Western European and Others", "African"}
    assert western["responses"] == 2
    assert [d["state"] for d in western["difficulties"]] == ["FRA", "ITA"]
    assert western["assistance_needs_by_type"] == {"capacity_building": {"high": 2}}


async def test_states_listed_by_code(service, phase) -> None:
    for state in ("NOR", "AUT", "ITA"):
        await submit(service, state, f"Obstacle of {state}.", None)

    [group] = await article_5(service, regional_group="Western European and Others")

    assert [p["state"] for p in group["good_practices"]] == ["AUT", "ITA", "NOR"]


async def test_unknown_regional_group_invalid(service, phase) -> None:
    await submit(service, "ITA", "Few prosecutors.", None)

    unknown = await service.client.get(
        f"{PHASE}/overview", params={"regional_group": "Martian"}
    )
    of_no_group = await article_5(service, regional_group="none")

    assert unknown.status_code == 422
    assert unknown.json()["field"] == "regional_group"
    assert "unknown regional group 'Martian'" in unknown.json()["detail"]
    assert of_no_group == []


async def test_no_score_fields(service, phase) -> None:
    await submit(service, "ITA", "Few prosecutors.", "legal_advice")

    [group] = await article_5(service)

    assert not {"score", "rank", "ranking"} & set(group)


async def test_drafts_left_out(service, phase) -> None:
    path = f"{PHASE}/responses/ITA/convention/criminalization"
    await service.client.put(
        path, json={"answers": {"article-5.obstacles": {"value": "Draft."}}}
    )

    assert await article_5(service) == []


async def test_unknown_phase_not_found(service, phase) -> None:
    response = await service.client.get("/phases/nope/overview")

    assert response.status_code == 404
