"""Fixtures: the notify app run in-process, events on a MemoryBus, a webhook
receiver served by uvicorn and an SMTP server (aiosmtpd), both on 127.0.0.1
in threads."""

import asyncio
import contextlib
import datetime as dt
import email
import email.policy
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from palermo_notify.main import create_app
from palermo_notify.settings import NotifySettings
from palermo_shared.auth import LocalIssuer, Role
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.contracts import (
    DeskReviewCompleted,
    DeskReviewReviewersChanged,
    DeskReviewStarted,
    DrawnReviewer,
    LotsDrawn,
    LotsRedrawn,
    MeetingReference,
    QuestionnaireSubmitted,
    ReviewPhaseOpened,
)
from palermo_shared.events import (
    Envelope,
    EventPayload,
    decode,
    new_event,
)
from palermo_shared.reference.instruments import WORKING_GROUPS, Cluster, Instrument
from tests.support.events import record_of

PHASE_ID = "phase-1"


class Events:
    """Payloads of the events the notify service consumes, for one phase."""

    phase_id = PHASE_ID

    def review_phase_opened(self) -> ReviewPhaseOpened:
        return ReviewPhaseOpened(
            phase_id=PHASE_ID,
            years="III-VI",
            clusters=[Cluster.CRIMINALIZATION],
            instruments=[Instrument.CONVENTION],
            working_groups={
                Instrument.CONVENTION: WORKING_GROUPS[Instrument.CONVENTION]
            },
            draw_date=dt.date(2025, 1, 1),
            states_under_review={Instrument.CONVENTION: ["BRA", "FRA", "ITA"]},
        )

    def lots_drawn(
        self, state: str = "ITA", reviewers: tuple[str, str] = ("FRA", "BRA")
    ) -> LotsDrawn:
        same, other = reviewers
        return LotsDrawn(
            phase_id=PHASE_ID,
            instrument=Instrument.CONVENTION,
            state_under_review=state,
            regional_group="Western European and Others",
            clusters=[Cluster.CRIMINALIZATION],
            reviewers=[
                DrawnReviewer(
                    iso3=same,
                    regional_group="Western European and Others",
                    legal_system="civil_law",
                    role="same_regional_group",
                ),
                DrawnReviewer(
                    iso3=other,
                    regional_group="Latin American and Caribbean",
                    legal_system="civil_law",
                    role="other_regional_group",
                ),
            ],
            similar_legal_system=True,
        )

    def lots_redrawn(self, reviewers: tuple[str, str]) -> LotsRedrawn:
        """Redraw 1 of the draw for ITA, replacing its second reviewer."""
        drawn = self.lots_drawn(reviewers=reviewers)
        return LotsRedrawn(
            phase_id=PHASE_ID,
            instrument=Instrument.CONVENTION,
            state_under_review="ITA",
            regional_group=drawn.regional_group,
            clusters=drawn.clusters,
            reviewers=drawn.reviewers,
            replaced=["BRA"],
            redraw_number=1,
            requested_by="BRA",
            reason="conflict of interest",
            similar_legal_system=True,
            meeting=MeetingReference(
                meeting_id="wg-2025-03",
                kind="intersessional",
                date=dt.date(2025, 3, 1),
                states_present=["BRA", "FRA", "ITA"],
            ),
        )

    def questionnaire_submitted(self, state: str = "ITA") -> QuestionnaireSubmitted:
        return QuestionnaireSubmitted(
            response_id="response-1",
            questionnaire_id="questionnaire-1",
            phase_id=PHASE_ID,
            state=state,
            instrument=Instrument.CONVENTION,
            cluster=Cluster.CRIMINALIZATION,
            submitted_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
        )

    def desk_review_started(
        self, state: str = "ITA", reviewers: tuple[str, ...] = ("FRA", "BRA")
    ) -> DeskReviewStarted:
        return DeskReviewStarted(
            review_id="review-1",
            phase_id=PHASE_ID,
            state_under_review=state,
            instrument=Instrument.CONVENTION,
            cluster=Cluster.CRIMINALIZATION,
            reviewers=list(reviewers),
        )

    def desk_review_reviewers_changed(self) -> DeskReviewReviewersChanged:
        return DeskReviewReviewersChanged(
            review_id="review-1",
            phase_id=PHASE_ID,
            state_under_review="ITA",
            instrument=Instrument.CONVENTION,
            cluster=Cluster.CRIMINALIZATION,
            reviewers=["FRA", "ARG"],
            added=["ARG"],
            removed=["BRA"],
            redraw_number=1,
        )

    def desk_review_completed(
        self, state: str = "ITA", reviewers: tuple[str, ...] = ("FRA", "BRA")
    ) -> DeskReviewCompleted:
        return DeskReviewCompleted(
            review_id="review-1",
            phase_id=PHASE_ID,
            state_under_review=state,
            instrument=Instrument.CONVENTION,
            cluster=Cluster.CRIMINALIZATION,
            reviewers=list(reviewers),
            observation_count=4,
            completed_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
        )


@pytest.fixture
def events() -> Events:
    return Events()


@dataclass
class Service:
    """The running notify app, its bus and an HTTP client bound to it."""

    app: FastAPI
    bus: MemoryBus
    client: httpx.AsyncClient

    async def publish(self, payload: EventPayload, subject: str = "test") -> Envelope:
        envelope = new_event(payload, source="/palermo/test", subject=subject)
        await self.deliver(envelope)
        return envelope

    async def publish_together(self, *payloads: EventPayload) -> list[Envelope]:
        """Publish in one append, so that the consumer takes them as one batch."""
        envelopes = [
            new_event(payload, source="/palermo/test", subject="test")
            for payload in payloads
        ]
        await self.bus.append([record_of(envelope) for envelope in envelopes])
        return envelopes

    async def deliver(self, envelope: Envelope) -> None:
        await self.bus.append([record_of(envelope)])

    async def notifications(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get("/notifications", params=params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def wait_for_notifications(
        self, count: int, timeout: float = 5.0, **params: Any
    ) -> list[dict[str, Any]]:
        """Poll the log until `count` notifications match `params`."""
        items: list[dict[str, Any]] = []

        async def enough() -> bool:
            nonlocal items
            items = await self.notifications(**params)
            return len(items) >= count

        await self.wait_until(enough, timeout)
        return items

    async def wait_until(
        self, condition: Callable[[], Awaitable[bool]], timeout: float = 5.0
    ) -> None:
        deadline = time.monotonic() + timeout
        while not await condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition still false after {timeout} s")
            await asyncio.sleep(0.02)

    def delivered_events(self) -> list[Envelope]:
        return [decode(d.value) for d in self.bus.log("palermo.notify")]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class Mailbox:
    """Messages accepted by the test SMTP server.

    Recipients whose address starts with `refuse` get a permanent 550 reply
    that quotes the address, as Postfix's does, and those starting with
    `busy` a temporary 451 reply.
    """

    port: int
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)
    data_delay: float = 0.0

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class _MailboxHandler:
    def __init__(self, mailbox: Mailbox) -> None:
        self._mailbox = mailbox

    async def handle_RCPT(  # aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("refuse"):
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        if address.startswith("busy"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        await asyncio.sleep(self._mailbox.data_delay)
        message = email.message_from_bytes(
            envelope.original_content, policy=email.policy.default
        )
        assert isinstance(message, email.message.EmailMessage)
        self._mailbox.messages.append(message)
        self._mailbox.envelopes.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    mailbox = Mailbox(port=_free_port())
    # SMTPUTF8 lets the server take addresses whose local part is not ASCII.
    controller = Controller(
        _MailboxHandler(mailbox),
        hostname="127.0.0.1",
        port=mailbox.port,
        enable_SMTPUTF8=True,
    )
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def settings(tmp_path: Any) -> NotifySettings:
    return NotifySettings(
        data_dir=tmp_path,
        public_base_url="https://palermo.example.org",
        webhook_timeout_seconds=1.0,
        webhook_max_attempts=3,
        webhook_retry_base_seconds=0.05,
        webhook_poll_interval_seconds=0.02,
        smtp_port=_free_port(),
        smtp_timeout_seconds=2.0,
        email_max_attempts=3,
        email_retry_base_seconds=0.05,
    )


@pytest.fixture
def mail_settings(settings: NotifySettings, mailbox: Mailbox) -> NotifySettings:
    """Settings that send e-mail to the test SMTP server."""
    return settings.model_copy(
        update={
            "smtp_port": mailbox.port,
            "secretariat_emails": ["secretariat@un.example.org"],
        }
    )


@contextlib.asynccontextmanager
async def running_service(
    settings: NotifySettings, bus: MemoryBus
) -> AsyncIterator[Service]:
    """Run the app until the block ends, as a process runs until stopped."""
    app = create_app(settings, bus)
    transport = httpx.ASGITransport(app=app)
    secretariat = LocalIssuer.from_key_file(settings.signing_key_path()).headers(
        Role.SECRETARIAT
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=secretariat
        ) as client,
    ):
        yield Service(app, bus, client)


@pytest.fixture
async def service(settings: NotifySettings) -> AsyncIterator[Service]:
    async with running_service(settings, MemoryBus()) as service:
        yield service


@pytest.fixture
async def mail_service(mail_settings: NotifySettings) -> AsyncIterator[Service]:
    async with running_service(mail_settings, MemoryBus()) as service:
        yield service


@pytest.fixture
def start_service() -> Callable[..., Any]:
    """Return `running_service`, for tests that stop and start the app."""
    return running_service


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw_body: bytes
    received_at: float


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1.

    `/ok` responds with 200 and `/fail` with 500. `/hang` responds only after
    the test ends, so requests to it time out. `/flaky` responds with 500
    while `flaky_fails` is set, and with 200 after.
    """

    base_url: str
    requests: list[ReceivedRequest] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    flaky_fails: bool = True

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def received(self, path: str) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.path == path]


def _receiver_app(receiver: Receiver) -> Starlette:
    async def record(request: Request) -> ReceivedRequest:
        raw_body = await request.body()
        received = ReceivedRequest(
            path=request.url.path,
            headers=dict(request.headers),
            body=await request.json(),
            raw_body=raw_body,
            received_at=time.monotonic(),
        )
        receiver.requests.append(received)
        return received

    async def ok(request: Request) -> JSONResponse:
        await record(request)
        return JSONResponse({"status": "received"})

    async def fail(request: Request) -> JSONResponse:
        await record(request)
        return JSONResponse({"detail": "receiver is broken"}, status_code=500)

    async def hang(request: Request) -> JSONResponse:
        await record(request)
        # Held until the fixture ends, far past the webhook time limit.
        await asyncio.to_thread(receiver.release.wait, 30)
        return JSONResponse({"status": "too late"})

    async def flaky(request: Request) -> JSONResponse:
        await record(request)
        if receiver.flaky_fails:
            return JSONResponse({"detail": "receiver is down"}, status_code=500)
        return JSONResponse({"status": "received"})

    return Starlette(
        routes=[
            Route("/ok", ok, methods=["POST"]),
            Route("/flaky", flaky, methods=["POST"]),
            Route("/fail", fail, methods=["POST"]),
            Route("/hang", hang, methods=["POST"]),
        ]
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    receiver = Receiver(base_url=f"http://127.0.0.1:{port}")
    config = uvicorn.Config(
        _receiver_app(receiver),
        # uvicorn's default logging set-up and log level would stay on its
        # loggers for the rest of the process, hiding lines later tests check.
        log_config=None,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    _wait_started(server)
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_started(server: uvicorn.Server) -> None:
    deadline = time.monotonic() + 5
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("webhook receiver did not start within 5 s")
        time.sleep(0.01)


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens, so connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"
