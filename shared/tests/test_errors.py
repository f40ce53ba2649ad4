"""Error responses of every service, over HTTP."""

from enum import StrEnum
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy.ext.asyncio import AsyncEngine

from palermo_shared.errors import install_error_handlers
from palermo_shared.request_id import RequestIdMiddleware


class Subscription(BaseModel):
    url: str
    timeout: float
    attempts: int


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class Address(BaseModel):
    city: str


class ContactChange(BaseModel):
    """Optional fields of a partial update, each a union with a hidden None.

    Pydantic names the member of such a union in an error's location.
    """

    name: Annotated[str, Field(min_length=1)] | SkipJsonSchema[None] = None
    channels: list[Channel] | SkipJsonSchema[None] = None
    address: Address | SkipJsonSchema[None] = None
    notes: dict[str, int] | SkipJsonSchema[None] = None


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/subscriptions")
    async def subscribe(subscription: Subscription) -> Subscription:
        return subscription

    @app.patch("/contacts")
    async def change_contact(
        change: ContactChange, channel: Channel | SkipJsonSchema[None] = None
    ) -> ContactChange:
        return change

    # Declared apart from the PATCH route of the same path.
    @app.get("/contacts")
    async def list_contacts() -> list[ContactChange]:
        return []

    return app


@pytest.mark.parametrize(
    ("body", "params", "field"),
    [
        ({"channels": ["email", "sms"]}, {}, "channels.1"),
        ({"name": ""}, {}, "name"),
        ({"address": {}}, {}, "address.city"),
        ({"address": {"city": 1}}, {}, "address.city"),
        ({"notes": {"constrained-str": "x"}}, {}, "notes.constrained-str"),
        ({"unknown": 1, "channels": "email"}, {}, "channels"),
        ({}, {"channel": "sms"}, "channel"),
    ],
)
async def test_union_field_path_reported(
    body: dict[str, object], params: dict[str, str], field: str
) -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.patch("/contacts", json=body, params=params)

    assert response.status_code == 422
    problems = response.json()["problems"]
    assert [p["field"] for p in problems] == [field]
    assert response.json()["field"] == field


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"url": NaN, "timeout": 1, "attempts": 1}', "url"),
        ('{"url": "x", "timeout": 1, "attempts": Infinity}', "attempts"),
        ('{"url": "x", "timeout": 1, "attempts": "\\ud800"}', "attempts"),
    ],
)
async def test_input_json_cannot_carry_rejected(body: str, field: str) -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/subscriptions",
            content=body,
            headers={"content-type": "application/json"},
        )

    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["field"] == field


@pytest.mark.parametrize("method", ["DELETE", "PUT", "TRACE"])
async def test_method_not_allowed_lists_every_route(method: str) -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.request(method, "/contacts")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, PATCH"
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert body["allowed"] == ["GET", "HEAD", "PATCH"]
    assert body["detail"] == (
        f"method {method} is not allowed on /contacts, which serves GET, HEAD, PATCH"
    )


async def test_method_not_allowed_without_get() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/subscriptions")

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_deeply_nested_body_explained() -> None:
    depth = 100_000
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/subscriptions",
            content="[" * depth + "]" * depth,
            headers={"content-type": "application/json"},
        )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_request"
    assert body["field"] == "body"
    assert "nested too deeply" in body["detail"]
    assert "recursion limit (1000)" in body["detail"]


def _locking_app(engine: AsyncEngine) -> FastAPI:
    """An app whose one route updates an inbox row, giving up on a held lock."""
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/handled")
    async def mark_handled() -> dict[str, str]:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
            await connection.exec_driver_sql(
                "UPDATE inbox SET event_type = 'changed' WHERE event_id = 'e1'"
            )
        return {"status": "changed"}

    return app


async def test_held_postgresql_lock_unavailable(postgresql_engine: AsyncEngine) -> None:
    async with postgresql_engine.begin() as connection:
        await connection.exec_driver_sql(
            "INSERT INTO inbox VALUES ('c', 'e1', 't', now())"
        )
    transport = httpx.ASGITransport(app=_locking_app(postgresql_engine))

    async with (
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
        postgresql_engine.connect() as other_writer,
    ):
        await other_writer.exec_driver_sql(
            "SELECT * FROM inbox WHERE event_id = 'e1' FOR UPDATE"
        )
        locked = await client.post("/handled")
        await other_writer.rollback()
        retried = await client.post("/handled")

    assert locked.status_code == 503
    assert locked.json()["code"] == "unavailable"
    assert locked.headers["retry-after"] == "5"
    assert retried.status_code == 200


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=latin-1"]
)
async def test_body_not_utf8_explained(content_type: str) -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/subscriptions",
            content='{"url": "café", "timeout": 1, "attempts": 1}'.encode("latin-1"),
            headers={"content-type": content_type},
        )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_request"
    assert body["field"] == "body"
    assert "byte 12 (0xe9) is not UTF-8" in body["detail"]


async def test_unexpected_error_is_json(caplog: pytest.LogCaptureFixture) -> None:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/broken", headers={"X-Request-ID": "req-1"})

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"] == "req-1"
    assert response.json()["code"] == "internal"
    assert "request req-1" in response.json()["detail"]
    assert "a bug" not in response.text
    logged = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert "unhandled error in GET /broken, request req-1: RuntimeError('a bug')" in (
        logged
    )
