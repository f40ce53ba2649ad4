"""Error responses of every service, over HTTP."""

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from palermo_shared.errors import install_error_handlers


class Subscription(BaseModel):
    url: str
    timeout: float
    attempts: int


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/subscriptions")
    async def subscribe(subscription: Subscription) -> Subscription:
        return subscription

    return app


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
