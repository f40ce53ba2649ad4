"""The revision that moves the drawn reviewers keeps every stored pair."""

import json
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import text

import palermo_notify
from palermo_notify.tables import MODELS
from palermo_shared.db import create_engine
from palermo_shared.migrations import alembic_config, upgrade_to_head
from palermo_shared.service import base_models

VERSIONS = Path(palermo_notify.__file__).parent / "migrations"
BEFORE = "97a86413beba"
DRAWN = [("ITA", "FRA"), ("ITA", "BRA"), ("KEN", "PER"), ("KEN", "JPN")]


def _upgrade(connection: Any, target: str) -> None:
    config = alembic_config(VERSIONS, [*base_models(), *MODELS])
    config.attributes["connection"] = connection
    command.upgrade(config, target)


def _downgrade(connection: Any, target: str) -> None:
    config = alembic_config(VERSIONS, [*base_models(), *MODELS])
    config.attributes["connection"] = connection
    command.downgrade(config, target)


async def test_stored_pairs_survive_upgrade_and_downgrade(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, BEFORE)
        for state, reviewer in DRAWN:
            await connection.execute(
                text(
                    "INSERT INTO drawn_reviewer "
                    "(phase_id, instrument, state_under_review, reviewer) "
                    "VALUES ('phase-1', 'convention', :state, :reviewer)"
                ),
                {"state": state, "reviewer": reviewer},
            )

    await upgrade_to_head(engine, VERSIONS, [*base_models(), *MODELS])
    async with engine.connect() as connection:
        moved = (
            await connection.execute(
                text(
                    "SELECT state_under_review, reviewers, redraw_number "
                    "FROM reviewer_assignment ORDER BY state_under_review"
                )
            )
        ).all()

    async with engine.begin() as connection:
        await connection.run_sync(_downgrade, BEFORE)
        restored = (
            await connection.execute(
                text(
                    "SELECT state_under_review, reviewer FROM drawn_reviewer "
                    "ORDER BY id"
                )
            )
        ).all()
    await engine.dispose()

    pairs = [(state, _list(reviewers), number) for state, reviewers, number in moved]
    assert pairs == [("ITA", ["FRA", "BRA"], 0), ("KEN", ["PER", "JPN"], 0)]
    assert [tuple(row) for row in restored] == DRAWN


def _list(value: Any) -> list[str]:
    """Return a JSON column's value: SQLite returns text, PostgreSQL a list."""
    return json.loads(value) if isinstance(value, str) else list(value)
