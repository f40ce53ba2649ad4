"""Rate limit, body size limit, security headers, CORS and the request id."""

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from palermo_draw.main import create_app as create_draw
from palermo_draw.settings import DrawSettings
from palermo_gateway.limits import TokenBucketLimiter, TooManyRequests
from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.logs import RequestIdFilter
from palermo_shared.serve import server_config


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_burst_then_rejects() -> None:
    limiter = TokenBucketLimiter(rate=1.0, burst=3, clock=FakeClock())
    for _ in range(3):
        limiter.take("a")

    with pytest.raises(TooManyRequests) as rejected:
        limiter.take("a")

    assert rejected.value.retry_after == 1


def test_bucket_refills_at_rate() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(rate=2.0, burst=2, clock=clock)
    limiter.take("a")
    limiter.take("a")

    clock.now = 0.5
    limiter.take("a")

    with pytest.raises(TooManyRequests):
        limiter.take("a")


def test_bucket_keys_are_separate() -> None:
    limiter = TokenBucketLimiter(rate=1.0, burst=1, clock=FakeClock())
    limiter.take("a")

    limiter.take("b")

    with pytest.raises(TooManyRequests):
        limiter.take("a")


def test_full_buckets_are_dropped() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(rate=10.0, burst=5, clock=clock)
    for client in range(1000):
        limiter.take(f"client-{client}")

    clock.now = 1.0
    limiter.take("late")

    assert len(limiter) == 1


def test_retry_after_rounds_up() -> None:
    limiter = TokenBucketLimiter(rate=0.25, burst=1, clock=FakeClock())
    limiter.take("a")

    with pytest.raises(TooManyRequests) as rejected:
        limiter.take("a")

    assert rejected.value.retry_after == 4


@pytest.fixture
async def limited(serve_gateway) -> AsyncIterator[str]:
    async with serve_gateway(
        rate_limit_per_second=0.01, rate_limit_burst=2, max_request_body_bytes=100
    ) as url:
        yield url


async def test_rate_limit_by_subject(limited: str, tokens: LocalIssuer) -> None:
    async with httpx.AsyncClient(base_url=limited) as client:
        secretariat = tokens.headers(Role.SECRETARIAT)
        statuses = [
            (await client.get("/api/v1/draw/states", headers=secretariat)).status_code
            for _ in range(3)
        ]
        limited_response = await client.get("/api/v1/draw/states", headers=secretariat)
        other = await client.get(
            "/api/v1/draw/states", headers=tokens.headers(Role.OBSERVER)
        )

    assert statuses == [200, 200, 429]
    assert int(limited_response.headers["retry-after"]) >= 1
    assert limited_response.json()["code"] == "too_many_requests"
    assert other.status_code == 200


async def test_rate_limit_by_address_without_token(limited: str) -> None:
    async with httpx.AsyncClient(base_url=limited) as client:
        statuses = [
            (await client.get("/api/v1/draw/states")).status_code for _ in range(3)
        ]

    assert statuses == [401, 401, 429]


async def test_declared_body_too_large_is_413(
    limited: str, tokens: LocalIssuer
) -> None:
    async with httpx.AsyncClient(base_url=limited) as client:
        response = await client.put(
            "/api/v1/draw/states/KEN",
            content=b"x" * 101,
            headers=tokens.headers(Role.SECRETARIAT),
        )

    assert response.status_code == 413
    assert response.json()["field"] == "body"


async def test_chunked_body_too_large_is_413(limited: str, tokens: LocalIssuer) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * 30

    async with httpx.AsyncClient(base_url=limited) as client:
        response = await client.put(
            "/api/v1/draw/states/KEN",
            content=chunks(),
            headers=tokens.headers(Role.SECRETARIAT),
        )

    assert response.status_code == 413
    assert "100 bytes" in response.json()["detail"]


async def test_body_at_limit_is_forwarded(limited: str, tokens: LocalIssuer) -> None:
    async with httpx.AsyncClient(base_url=limited) as client:
        response = await client.put(
            "/api/v1/draw/states/KEN",
            content=b"x" * 100,
            headers=tokens.headers(Role.SECRETARIAT),
        )

    assert response.status_code == 200
    assert response.json()["body"] == "x" * 100


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Big": "x" * 40_000},
        {f"X-Field-{number}": "x" for number in range(120)},
    ],
    ids=["bytes", "fields"],
)
async def test_oversized_headers_are_431(
    gateway: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await gateway.get("/api/v1/draw/states", headers=headers)

    assert response.status_code == 431
    assert response.json()["code"] == "request_header_fields_too_large"
    assert "the limits are 100 fields and 32768 bytes" in response.json()["detail"]


async def test_usual_headers_are_forwarded(gateway: httpx.AsyncClient) -> None:
    headers = {f"X-Field-{number}": "x" * 500 for number in range(40)}

    response = await gateway.get("/api/v1/draw/states", headers=headers)

    assert response.status_code == 200


async def test_default_body_limit_is_10_mib(serve_gateway) -> None:
    # Only the request head is sent: the gateway responds from Content-Length.
    async with serve_gateway() as url:
        port = int(url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"PUT /api/v1/draw/states/KEN HTTP/1.1\r\nHost: gateway\r\n"
            b"Content-Length: 10485761\r\n\r\n"
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        writer.close()

    assert status_line.startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize(
    "path", ["/api/v1/draw/states", "/api/v1/nowhere/x", "/api/v1/asyncapi.json"]
)
async def test_api_security_headers(gateway: httpx.AsyncClient, path: str) -> None:
    response = await gateway.get(path)

    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["cache-control"] == "no-store"


async def test_error_responses_carry_headers(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/draw/states", headers={"Authorization": ""})

    assert response.status_code == 401
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "x-request-id" in response.headers


async def test_page_security_headers(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/dashboard")

    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_cors_denies_by_default(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get(
        "/api/v1/draw/states", headers={"Origin": "https://dashboard.example"}
    )

    assert "access-control-allow-origin" not in response.headers


async def test_cors_allows_listed_origin(serve_gateway, tokens: LocalIssuer) -> None:
    origin = "https://dashboard.example"
    async with (
        serve_gateway(cors_allowed_origins=[origin]) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        preflight = await client.options(
            "/api/v1/draw/states",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        actual = await client.get(
            "/api/v1/draw/states",
            headers={"Origin": origin, **tokens.headers(Role.OBSERVER)},
        )
        stranger = await client.get(
            "/api/v1/draw/states",
            headers={"Origin": "https://evil.example", **tokens.headers(Role.OBSERVER)},
        )

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert actual.headers["access-control-allow-origin"] == origin
    assert "access-control-allow-origin" not in stranger.headers


async def test_request_id_generated(gateway: httpx.AsyncClient) -> None:
    first = await gateway.get("/api/v1/draw/states")
    second = await gateway.get("/api/v1/draw/states")

    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_request_id_kept_and_forwarded(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get(
        "/api/v1/draw/states", headers={"X-Request-ID": "client-42.a:b_c"}
    )

    assert response.headers["x-request-id"] == "client-42.a:b_c"
    assert response.json()["request_id"] == "client-42.a:b_c"


@pytest.mark.parametrize("sent", ["has space", "x" * 129, "new\\nline", "é"])
async def test_malformed_request_id_replaced(
    gateway: httpx.AsyncClient, sent: str
) -> None:
    response = await gateway.get(
        "/api/v1/draw/states", headers={"X-Request-ID": sent.encode()}
    )

    assert response.headers["x-request-id"] != sent
    assert response.json()["request_id"] == response.headers["x-request-id"]


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_request_id_in_gateway_log_lines(
    gateway: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = _Recorder()
    logging.getLogger().addHandler(recorder)
    try:
        with caplog.at_level(logging.INFO):
            response = await gateway.get(
                "/api/v1/review/reviews", headers={"X-Request-ID": "trace-me"}
            )
    finally:
        logging.getLogger().removeHandler(recorder)

    lines = [r for r in recorder.records if r.name.startswith(("palermo", "uvicorn"))]
    assert response.status_code == 502
    assert {r.name for r in lines} >= {"palermo_gateway.proxy", "uvicorn.access"}
    assert {r.request_id for r in lines} == {"trace-me"}  # type: ignore[attr-defined]


async def test_request_id_in_service_log_lines(
    serve_gateway, tokens: LocalIssuer, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    draw = uvicorn.Server(
        server_config(
            create_draw(DrawSettings(data_dir=tmp_path), MemoryBus()),
            host="127.0.0.1",
            port=0,
        )
    )
    serving = asyncio.create_task(draw.serve())
    while not draw.started:
        await asyncio.sleep(0.02)
    draw_port = draw.servers[0].sockets[0].getsockname()[1]
    recorder = _Recorder()
    logging.getLogger().addHandler(recorder)
    try:
        with caplog.at_level(logging.INFO):
            async with (
                serve_gateway(draw_url=f"http://127.0.0.1:{draw_port}") as url,
                httpx.AsyncClient(base_url=url) as client,
            ):
                response = await client.get(
                    "/api/v1/draw/states", headers=tokens.headers(Role.OBSERVER)
                )
    finally:
        logging.getLogger().removeHandler(recorder)
        draw.should_exit = True
        await serving

    paths = {
        record.args[2]: record  # type: ignore[index]
        for record in recorder.records
        if record.name == "uvicorn.access"
    }
    request_id = response.headers["x-request-id"]
    assert response.status_code == 200
    assert paths["/states"].request_id == request_id  # type: ignore[attr-defined]
    assert paths["/api/v1/draw/states"].request_id == request_id  # type: ignore[attr-defined]
