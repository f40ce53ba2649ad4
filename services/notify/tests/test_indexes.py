"""The delivery log's frequent queries read through an index, on SQLite.

The indexes of the notification table are partial (see `Notification`), and
SQLite uses a partial index only when a query's conditions match its
own, here through a bound parameter. Each statement the service ran is
explained again, with its parameters, on a connection of the test's own.
"""

import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

pytestmark = pytest.mark.sqlite_only


class Statements:
    """The SELECT statements on the notification table, with their parameters."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, tuple[Any, ...]]] = []

    def record(self, _conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.startswith("SELECT") and "FROM notification" in statement:
            self.seen.append((statement, tuple(parameters)))

    def plans(self, database: str, *fragments: str) -> list[str]:
        """Return the query plan of each recorded statement containing a fragment."""
        connection = sqlite3.connect(database)
        try:
            return [
                " / ".join(
                    row[3]
                    for row in connection.execute(
                        f"EXPLAIN QUERY PLAN {sql}", parameters
                    )
                )
                for sql, parameters in self.seen
                if any(fragment in sql for fragment in fragments)
            ]
        finally:
            connection.close()


@pytest.fixture
def statements(service) -> Iterator[Statements]:
    engine = service.app.state.runtime.engine.sync_engine
    recorded = Statements()
    event.listen(engine, "before_cursor_execute", recorded.record)
    yield recorded
    event.remove(engine, "before_cursor_execute", recorded.record)


@pytest.fixture
def database(settings) -> str:
    return str(settings.data_dir / "notify.db")


async def test_worker_reads_queue_index(service, statements, database, events):
    await service.publish(events.lots_drawn())
    await service.wait_for_notifications(3)
    statements.seen.clear()

    await service.wait_until(lambda: _polled(statements))

    [plan, *_] = statements.plans(database, "next_attempt_at <=")
    assert _reads(plan, "ix_notification_due"), plan


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({"status": "pending"}, "ix_notification_due"),
        ({"status": "dead_letter"}, "ix_notification_dead_letter"),
        ({"contact_id": "no-such-contact"}, "ix_notification_contact_id"),
        ({"event_id": "no-such-event"}, "sqlite_autoindex_notification_2"),
        ({"state": "FRA"}, "ix_notification_recipient_state"),
    ],
)
async def test_filtered_listing_reads_index(
    service, statements, database, params, index
):
    await service.notifications(**params)

    plans = statements.plans(database, "count(*)", "ORDER BY notification.created_at")
    assert len(plans) == 2, "the listing counts, then reads a page"
    assert all(_reads(plan, index) for plan in plans), plans


async def _polled(statements: Statements) -> bool:
    return any("next_attempt_at <=" in sql for sql, _ in statements.seen)


def _reads(plan: str, index: str) -> bool:
    return re.search(rf"USING (COVERING )?INDEX {index}\b", plan) is not None
