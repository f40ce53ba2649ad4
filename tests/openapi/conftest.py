"""The embedded default, served in a thread for the synchronous schemathesis tests."""

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from palermo.embedded import run_embedded
from palermo_shared.auth import LocalIssuer, Role

# Schemathesis sends every request as one Secretariat; the per-client rate
# limit would reject most of them with 429 and hide the routes behind it.
TEST_RATE_LIMIT = {"RATE_LIMIT_PER_SECOND": "100000", "RATE_LIMIT_BURST": "100000"}


class EmbeddedPalermo:
    """`run_embedded` on its own event loop in a thread, until `stop`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.url = ""
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._started.wait(timeout=60):
            raise TimeoutError("the embedded default did not start within 60 s")
        if self._failure is not None:
            raise self._failure

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as failure:
            self._failure = failure
            self._started.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with run_embedded(self.data_dir) as url:
            self.url = url
            self._started.set()
            await self._stop.wait()


@pytest.fixture(scope="module")
def palermo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPalermo]:
    saved = {name: os.environ.get(name) for name in TEST_RATE_LIMIT}
    os.environ.update(TEST_RATE_LIMIT)
    embedded = EmbeddedPalermo(tmp_path_factory.mktemp("palermo"))
    try:
        embedded.start()
        yield embedded
    finally:
        embedded.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="module")
def secretariat(palermo: EmbeddedPalermo) -> dict[str, str]:
    tokens = LocalIssuer.from_key_file(palermo.data_dir / "signing-key.pem")
    return tokens.headers(Role.SECRETARIAT)


@pytest.fixture(scope="module")
def callers(
    palermo: EmbeddedPalermo, secretariat: dict[str, str]
) -> list[dict[str, str]]:
    """Return the headers of two roles, because a route may reject one of them
    before it reads the request, and the field check needs the other."""
    tokens = LocalIssuer.from_key_file(palermo.data_dir / "signing-key.pem")
    return [secretariat, tokens.headers(Role.FOCAL_POINT, "ITA")]


@pytest.fixture(scope="module")
def document(palermo: EmbeddedPalermo, secretariat: dict[str, str]) -> dict[str, Any]:
    """Return the whole API's OpenAPI document, as the gateway serves it."""
    response = httpx.get(f"{palermo.url}/api/v1/openapi.json", headers=secretariat)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document
