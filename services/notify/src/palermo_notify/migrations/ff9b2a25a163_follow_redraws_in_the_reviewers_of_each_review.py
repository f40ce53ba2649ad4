"""Follow redraws in the reviewers of each review

The reviewers drawn for each review move from `drawn_reviewer`, which only
`LotsDrawn` filled, to the shared `reviewer_assignment` projection, which
each `LotsRedrawn` updates. Stored pairs are carried over with redraw
number 0, so that any later redraw replaces them.

Revision ID: ff9b2a25a163
Created: 2026-12-04 23:07:32.268208
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "ff9b2a25a163"
down_revision: str | None = "97a86413beba"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ReviewKey = tuple[str, str, str]


def upgrade() -> None:
    assignments = op.create_table(
        "reviewer_assignment",
        sa.Column(
            "phase_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column(
            "instrument", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False
        ),
        sa.Column(
            "state_under_review",
            sqlmodel.sql.sqltypes.AutoString(length=3),
            nullable=False,
        ),
        sa.Column("reviewers", sa.JSON(), nullable=False),
        sa.Column("redraw_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("phase_id", "instrument", "state_under_review"),
    )

    rows = op.get_bind().execute(
        sa.text(
            "SELECT phase_id, instrument, state_under_review, reviewer "
            "FROM drawn_reviewer ORDER BY id"
        )
    )
    pairs: dict[ReviewKey, list[str]] = {}
    for phase_id, instrument, state, reviewer in rows:
        pairs.setdefault((phase_id, instrument, state), []).append(reviewer)
    op.bulk_insert(
        assignments,
        [
            {
                "phase_id": phase_id,
                "instrument": instrument,
                "state_under_review": state,
                "reviewers": reviewers,
                "redraw_number": 0,
            }
            for (phase_id, instrument, state), reviewers in pairs.items()
        ],
    )

    op.drop_table("drawn_reviewer")


def downgrade() -> None:
    drawn = op.create_table(
        "drawn_reviewer",
        sa.Column("id", sa.INTEGER(), nullable=False),
        sa.Column("phase_id", sa.VARCHAR(length=64), nullable=False),
        sa.Column("instrument", sa.VARCHAR(length=40), nullable=False),
        sa.Column("state_under_review", sa.VARCHAR(length=3), nullable=False),
        sa.Column("reviewer", sa.VARCHAR(length=3), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("phase_id", "instrument", "state_under_review", "reviewer"),
    )

    assignments = sa.table(
        "reviewer_assignment",
        sa.column("phase_id"),
        sa.column("instrument"),
        sa.column("state_under_review"),
        sa.column("reviewers", sa.JSON()),
    )
    rows = op.get_bind().execute(sa.select(assignments))
    op.bulk_insert(
        drawn,
        [
            {
                "phase_id": phase_id,
                "instrument": instrument,
                "state_under_review": state,
                "reviewer": reviewer,
            }
            for phase_id, instrument, state, reviewers in rows
            for reviewer in reviewers
        ],
    )

    op.drop_table("reviewer_assignment")
