"""Retrying an operation that depends on the broker until it succeeds."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


async def retry_until_done(
    operation: Callable[[], Awaitable[None]],
    *,
    description: str,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
    initial_delay: float = 0.5,
    max_delay: float = 30.0,
) -> None:
    """Run `operation` until it returns, doubling the delay after each failure.

    Each failure is logged as a WARNING with the next delay; cancellation
    stops the loop.
    """
    delay = initial_delay
    while True:
        try:
            await operation()
            return
        except retry_on as error:
            logger.warning(
                "%s failed, retrying in %.1fs: %r", description, delay, error
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)
