"""The gateway's one OpenAPI document, built from the real services behind it."""

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from openapi_spec_validator import validate

from palermo_draw.main import create_app as create_draw
from palermo_draw.settings import DrawSettings
from palermo_gateway.main import create_app
from palermo_gateway.settings import GatewaySettings
from palermo_notify.main import create_app as create_notify
from palermo_notify.settings import NotifySettings
from palermo_questionnaire.main import create_app as create_questionnaire
from palermo_questionnaire.settings import QuestionnaireSettings
from palermo_review.main import create_app as create_review
from palermo_review.settings import ReviewSettings
from palermo_shared.bus.memory import MemoryBus

PUBLIC_OPERATIONS = [
    ("/healthz/live", "get"),
    ("/api/v1/asyncapi.json", "get"),
    ("/api/v1/openapi.json", "get"),
    ("/api/v1/draw/healthz/ready", "get"),
]


def _services(tmp_path: Path) -> dict[str, FastAPI]:
    bus = MemoryBus()
    return {
        "draw": create_draw(DrawSettings(data_dir=tmp_path), bus),
        "questionnaire": create_questionnaire(
            QuestionnaireSettings(data_dir=tmp_path), bus
        ),
        "review": create_review(ReviewSettings(data_dir=tmp_path), bus),
        "notify": create_notify(NotifySettings(data_dir=tmp_path), bus),
    }


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> dict[str, FastAPI]:
    return _services(tmp_path_factory.mktemp("services"))


async def _fetch(
    services: dict[str, FastAPI],
    tmp_path: Path,
    transport_of_review: httpx.AsyncBaseTransport | None = None,
    **settings: Any,
) -> httpx.Response:
    transports: dict[str, httpx.AsyncBaseTransport] = {
        name: httpx.ASGITransport(app=app) for name, app in services.items()
    }
    if transport_of_review is not None:
        transports["review"] = transport_of_review
    gateway = create_app(
        GatewaySettings(data_dir=tmp_path, **settings), MemoryBus(), transports
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gateway), base_url="http://gateway"
    ) as client:
        return await client.get("/api/v1/openapi.json")


@pytest.fixture(scope="module")
def document(
    services: dict[str, FastAPI], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The document, fetched once for the module's tests."""
    response = asyncio.run(_fetch(services, tmp_path_factory.mktemp("gateway")))
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_every_service_route_appears(
    document: dict[str, Any], services: dict[str, FastAPI]
) -> None:
    for name, app in services.items():
        for route in app.routes:
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            path = f"/api/v1/{name}{route.path}"
            assert path in document["paths"], path
            for method in route.methods:
                assert method.lower() in document["paths"][path], f"{method} {path}"


def test_gateway_routes_appear(document: dict[str, Any]) -> None:
    paths = document["paths"]

    assert "get" in paths["/api/v1/events"]
    assert "get" in paths["/api/v1/events/counts"]
    assert "/api/v1/{service}/{path}" not in paths


def test_service_schemas_prefixed(
    document: dict[str, Any], services: dict[str, FastAPI]
) -> None:
    schemas = document["components"]["schemas"]

    for name, app in services.items():
        for schema in app.openapi()["components"]["schemas"]:
            assert f"{name}.{schema}" in schemas, f"{name}.{schema}"


def test_operation_ids_unique(document: dict[str, Any]) -> None:
    ids = [
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]

    assert len(ids) == len(set(ids))


def test_bearer_scheme_required(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["bearer"]
    phases = document["paths"]["/api/v1/draw/phases"]["post"]

    assert scheme["scheme"] == "bearer"
    assert phases["security"] == [{"bearer": []}]


@pytest.mark.parametrize(("path", "method"), PUBLIC_OPERATIONS)
def test_public_operations_need_no_token(
    document: dict[str, Any], path: str, method: str
) -> None:
    assert document["paths"][path][method]["security"] == []


async def test_unreachable_service_is_502(
    services: dict[str, FastAPI], tmp_path: Path
) -> None:
    response = await _fetch(
        services,
        tmp_path,
        transport_of_review=httpx.AsyncHTTPTransport(),
        review_url="http://127.0.0.1:9",
    )

    assert response.status_code == 502
    assert response.json()["detail"] == "the review service is unavailable"
