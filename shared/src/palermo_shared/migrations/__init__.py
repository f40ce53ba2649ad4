"""Versioned schema migrations with Alembic, one history per service.

Every service shares this folder's `env.py` and revision template, and keeps
its own revisions in `palermo_<service>/migrations/`. `upgrade_to_head` runs
at service start, before anything else touches the database.

To add a revision after changing a service's tables:

    python -m palermo_shared.migrations revision draw -m "add meetings"

which compares the tables with a scratch database upgraded to the current
head and writes the difference as a new revision to review, format with
ruff and commit.
"""

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

SCRIPT_LOCATION = str(resources.files(__package__))


def metadata_of(models: Sequence[type[SQLModel]]) -> MetaData:
    """Return a metadata holding only the given models' tables."""
    metadata = MetaData()
    for model in models:
        model.__table__.to_metadata(metadata)  # type: ignore[attr-defined]
    return metadata


def alembic_config(versions: Path, models: Sequence[type[SQLModel]]) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(versions))
    config.attributes["target_metadata"] = metadata_of(models)
    return config


async def upgrade_to_head(
    engine: AsyncEngine, versions: Path, models: Sequence[type[SQLModel]]
) -> None:
    """Apply the service's pending revisions in one transaction."""
    config = alembic_config(versions, models)
    async with engine.begin() as connection:
        await connection.run_sync(_run, config, "upgrade")


def _run(connection: Any, /, config: Config, action: str, **options: Any) -> None:
    config.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(config, "head")
    else:
        command.revision(config, autogenerate=True, **options)
