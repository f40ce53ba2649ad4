"""A background writer that appends request entries to the audit log in batches.

Requests hand their entry over without waiting, and one task per gateway
process appends whatever has queued up, in one transaction per batch rather
than one per request.

Entries still queued when the process is killed are lost; a normal stop
writes them first. A batch that cannot be written is retried with backoff,
and while it fails the queue keeps at most `max_queued` entries, dropping
new ones with an ERROR.
"""

import asyncio
import contextlib
import logging

from palermo_gateway.audit.chain import append_entry
from palermo_gateway.audit.tables import AuditEntry
from palermo_shared.service import ServiceRuntime

logger = logging.getLogger(__name__)

MAX_BATCH = 500


class AuditWriter:
    def __init__(self, runtime: ServiceRuntime, *, max_queued: int = 100_000) -> None:
        self._runtime = runtime
        # None is the stop marker: everything queued before it is written.
        self._queue: asyncio.Queue[AuditEntry | None] = asyncio.Queue(
            maxsize=max_queued
        )
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    def submit(self, entry: AuditEntry) -> None:
        """Queue an entry for the next batch."""
        try:
            self._queue.put_nowait(entry)
        except asyncio.QueueFull:
            self.dropped += 1
            logger.error(
                "audit: queue full, dropped the entry of %s %s (%d dropped so far)",
                entry.method,
                entry.path,
                self.dropped,
            )

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="gateway-audit-writer")

    async def stop(self, *, timeout: float = 10.0) -> None:
        """Write what is queued, then stop; give up after `timeout` seconds."""
        if self._task is None:
            return
        await self._queue.put(None)
        try:
            async with asyncio.timeout(timeout):
                await self._task
        except TimeoutError:
            logger.error(
                "audit: stopped with %d entries not written", self._queue.qsize()
            )
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[AuditEntry] = []
            item = await self._queue.get()
            while item is not None:
                batch.append(item)
                if len(batch) == MAX_BATCH or self._queue.empty():
                    break
                item = self._queue.get_nowait()
            stopping = item is None
            await self._write_with_retries(batch)

    async def _write_with_retries(self, batch: list[AuditEntry]) -> None:
        failures = 0
        while True:
            try:
                await self._write(batch)
                return
            except Exception:
                failures += 1
                delay = min(30.0, 0.2 * 2**failures)
                logger.exception(
                    "audit: cannot write %d entries, retrying in %.1f s",
                    len(batch),
                    delay,
                )
                await asyncio.sleep(delay)

    async def _write(self, batch: list[AuditEntry]) -> None:
        if not batch:
            return
        async with self._runtime.sessions() as session, session.begin():
            for entry in batch:
                await append_entry(session, entry)
