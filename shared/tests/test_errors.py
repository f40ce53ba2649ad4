"""Error responses of every service, over HTTP."""

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

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
