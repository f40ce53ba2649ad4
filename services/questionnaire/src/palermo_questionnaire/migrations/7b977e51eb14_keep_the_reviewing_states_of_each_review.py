"""Keep the reviewing States of each review

Revision ID: 7b977e51eb14
Created: 2026-12-04 18:54:06.869298
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "7b977e51eb14"
down_revision: str | None = "087d60a56bad"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
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


def downgrade() -> None:
    op.drop_table("reviewer_assignment")
