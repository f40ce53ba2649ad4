"""Reading every domain topic from the start, as the gateway's views need.

The event stream and the dashboard each read as a consumer group of their
own, new at each start, so they rebuild from the earliest offset the broker
keeps and never commit. Malformed messages are skipped with a warning: the
services' consumers dead-letter them.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable

from palermo_shared.bus import Bus
from palermo_shared.events import DOMAIN_TOPICS, Envelope, EventDecodeError, decode
from palermo_shared.retry import retry_until_done

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000


async def read_domain_topics(
    bus: Bus,
    reader: str,
    ready: asyncio.Event,
    apply: Callable[[Envelope], object],
    after_batch: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Apply every decoded event to `apply` until cancelled.

    `reader` names the group ("event stream", "dashboard") in logs. `ready`
    is set once the group has joined, and `after_batch`, if given, is awaited
    after each non-empty batch.
    """
    group = f"gateway-{reader.replace(' ', '-')}-{uuid.uuid4()}"
    subscription = bus.subscription(DOMAIN_TOPICS, group=group)
    await retry_until_done(bus.prepare, description=f"{reader}: preparing the bus")
    await retry_until_done(
        subscription.start, description=f"{reader}: joining the broker"
    )
    ready.set()
    logger.info("%s reading %s as %s", reader, ", ".join(DOMAIN_TOPICS), group)
    try:
        while True:
            batch = await subscription.fetch(max_records=BATCH_SIZE, timeout=1.0)
            for delivery in batch:
                _apply_raw(reader, delivery.value, apply)
            if batch and after_batch is not None:
                await after_batch()
    finally:
        await subscription.stop()


def _apply_raw(
    reader: str, raw: bytes | None, apply: Callable[[Envelope], object]
) -> None:
    try:
        envelope = decode(raw)
    except EventDecodeError as error:
        logger.warning("%s skipped a malformed message: %s", reader, error)
        return
    apply(envelope)
