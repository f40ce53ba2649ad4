"""Query parameters a route does not declare get 422, on a real service app."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, Query

from palermo_shared.bus.memory import MemoryBus
from palermo_shared.query import accepts_any_query
from palermo_shared.service import create_service_app
from shared.tests.test_service import runtime_on, started_client

router = APIRouter()


def paging(limit: Annotated[int, Query(ge=1)] = 10) -> int:
    return limit


@router.get("/items")
async def list_items(
    limit: Annotated[int, Depends(paging)],
    state: str | None = None,
    review_status: Annotated[str | None, Query(alias="status")] = None,
) -> dict[str, object]:
    return {"limit": limit, "state": state, "status": review_status}


@router.get("/passed-on")
@accepts_any_query
async def pass_on() -> dict[str, str]:
    return {"passed": "on"}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(runtime_on(MemoryBus(), tmp_path), [router], title="t")
    async for started in started_client(app):
        yield started


async def test_declared_parameters_accepted(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/items", params={"limit": 5, "state": "ITA", "status": "open"}
    )

    assert response.status_code == 200
    assert response.json() == {"limit": 5, "state": "ITA", "status": "open"}


async def test_misspelt_filter_rejected(client: httpx.AsyncClient) -> None:
    response = await client.get("/items", params={"stat": "ITA", "limt": 5})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert body["field"] == "stat"
    assert [problem["field"] for problem in body["problems"]] == ["stat", "limt"]
    assert body["problems"][0]["message"] == (
        "unknown query parameter; accepted: limit, state, status"
    )


async def test_repeated_unknown_listed_once(client: httpx.AsyncClient) -> None:
    response = await client.get("/items?x=1&x=2")

    assert response.status_code == 422
    assert [problem["field"] for problem in response.json()["problems"]] == ["x"]


async def test_route_without_parameters_says_none(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/healthz/live", params={"verbose": "1"})

    assert response.status_code == 422
    assert response.json()["problems"][0]["message"] == (
        "unknown query parameter; accepted: none"
    )


async def test_marked_route_not_checked(client: httpx.AsyncClient) -> None:
    response = await client.get("/passed-on", params={"anything": "1"})

    assert response.status_code == 200
