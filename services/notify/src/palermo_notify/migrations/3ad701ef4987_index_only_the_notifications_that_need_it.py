"""Index only the notifications that need it

Inbox notifications, most of the rows, are stored delivered and without a
contact. The delivery queue, the dead letters and the contact's
notifications are now partial indexes that leave them out, and the index on
`event_id` goes, because the unique constraint on (event_id,
recipient_state, channel, subscription_id) serves the same queries.

Revision ID: 3ad701ef4987
Created: 2026-12-05 15:25:16.297415
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3ad701ef4987"
down_revision: str | None = "ff9b2a25a163"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING_ONLY = sa.text("status = 'pending'")
DEAD_LETTER_ONLY = sa.text("status = 'dead_letter'")
WITH_CONTACT = sa.text("contact_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_notification_event_id", table_name="notification")
    op.drop_index("ix_notification_due", table_name="notification")
    op.drop_index("ix_notification_contact_id", table_name="notification")
    _create_partial_index("ix_notification_due", ["next_attempt_at"], PENDING_ONLY)
    _create_partial_index(
        "ix_notification_dead_letter", ["created_at", "id"], DEAD_LETTER_ONLY
    )
    _create_partial_index("ix_notification_contact_id", ["contact_id"], WITH_CONTACT)


def downgrade() -> None:
    op.drop_index("ix_notification_contact_id", table_name="notification")
    op.drop_index("ix_notification_dead_letter", table_name="notification")
    op.drop_index("ix_notification_due", table_name="notification")
    op.create_index("ix_notification_contact_id", "notification", ["contact_id"])
    op.create_index(
        "ix_notification_due", "notification", ["status", "next_attempt_at"]
    )
    op.create_index("ix_notification_event_id", "notification", ["event_id"])


def _create_partial_index(name: str, columns: list[str], where: sa.TextClause) -> None:
    op.create_index(
        name, "notification", columns, sqlite_where=where, postgresql_where=where
    )
