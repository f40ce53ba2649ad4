"""The gateway forwards `/api/v1/{service}/...` over real HTTP and maps failures."""

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from palermo_gateway.main import upstream_limits
from palermo_gateway.settings import GatewaySettings
from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.serve import server_config


async def test_forward_keeps_method_path_query_and_body(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.put(
        "/api/v1/draw/states/KEN?x=1&x=2",
        content=b'{"a": 1}',
        headers={"X-Custom": "kept"},
    )

    echoed = response.json()
    assert response.status_code == 200
    assert echoed["method"] == "PUT"
    assert echoed["path"] == "/states/KEN"
    assert echoed["query"] == "x=1&x=2"
    assert echoed["body"] == '{"a": 1}'
    assert echoed["x_custom"] == "kept"
    assert response.headers["x-upstream"] == "yes"


async def test_forward_keeps_non_ascii_header(gateway: httpx.AsyncClient) -> None:
    sent = "café".encode()

    response = await gateway.get("/api/v1/draw/states", headers={"X-Custom": sent})

    assert response.status_code == 200
    assert response.json()["x_custom"] == sent.decode("latin-1")


async def test_forward_keeps_raw_query(gateway: httpx.AsyncClient) -> None:
    query = "name=a%2Bb+c%20d&x=%FF&empty&x=2"

    response = await gateway.get(f"/api/v1/draw/states?{query}")

    assert response.status_code == 200
    assert response.json()["query"] == query


async def test_forward_keeps_upstream_status(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get(
        "/api/v1/questionnaire/anything", params={"status": "409"}
    )

    assert response.status_code == 409


async def test_unknown_service_is_404(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/payments/x")

    assert response.status_code == 404
    assert "unknown service 'payments'" in response.json()["detail"]


async def test_unreachable_service_is_502(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/review/reviews")

    assert response.status_code == 502
    assert response.json()["detail"] == "the review service is unavailable"


async def test_slow_service_is_504(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/notify/slow", params={"seconds": "2"})

    assert response.status_code == 504
    assert response.json()["detail"] == "the notify service did not respond in time"


async def test_health_probes_are_separate(gateway: httpx.AsyncClient) -> None:
    live = await gateway.get("/healthz/live")
    ready = await gateway.get("/healthz/ready")

    assert live.json() == {"status": "alive"}
    assert ready.json() == {"status": "ready"}


async def test_asyncapi_document_served(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/asyncapi.json")

    document = response.json()
    assert response.status_code == 200
    assert document["asyncapi"] == "3.0.0"
    assert "palermo.draw" in document["channels"]


async def test_forward_keeps_percent_encoding(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/draw/phases/a%C3%A9b%2Fc%20d/draw")

    assert response.status_code == 200
    assert response.json()["path"] == "/phases/a\u00e9b/c d/draw"


def test_idle_upstream_connections_expire_first(tmp_path: Path) -> None:
    # Otherwise a request sent as a service closes its idle connection fails
    # with an empty read, and the caller gets a 502.
    settings = GatewaySettings(data_dir=tmp_path)
    service = server_config(FastAPI(), host="127.0.0.1", port=0)

    pooled_for = upstream_limits(settings).keepalive_expiry

    assert pooled_for is not None
    assert pooled_for < service.timeout_keep_alive


async def test_forward_cut_body_logged(
    gateway: httpx.AsyncClient,
    tokens: LocalIssuer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = gateway.base_url.port
    assert port is not None
    request = (
        "PUT /api/v1/draw/states/KEN HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {tokens.token(Role.SECRETARIAT)}\r\n"
        "Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"
        "only the first bytes"
    )

    with caplog.at_level("INFO"):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request.encode())
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        async with asyncio.timeout(10):
            while not _logged(caplog, "ClientDisconnect", CUT_SHORT):
                await asyncio.sleep(0.05)

    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == []
    assert _logged(caplog, CUT_SHORT)


CUT_SHORT = "closed the connection before sending the whole request body"


def _logged(caplog: pytest.LogCaptureFixture, *texts: str) -> bool:
    return any(t in r.getMessage() for r in caplog.records for t in texts)
