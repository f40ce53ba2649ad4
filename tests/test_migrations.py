"""Each service's Alembic revisions build exactly the tables its code declares."""

import importlib
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlmodel import SQLModel

from palermo_shared.db import create_engine
from palermo_shared.migrations import metadata_of, upgrade_to_head
from palermo_shared.service import base_models

SERVICES = ("draw", "questionnaire", "review", "notify", "gateway")


def _service(name: str) -> tuple[Path, list[type[SQLModel]]]:
    package = importlib.import_module(f"palermo_{name}")
    tables = importlib.import_module(f"palermo_{name}.tables")
    versions = Path(package.__file__).parent / "migrations"
    return versions, [*base_models(), *tables.MODELS]


def _differences(connection: Connection, models: list[type[SQLModel]]) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, metadata_of(models))


@pytest.mark.parametrize("service", SERVICES)
async def test_revisions_match_tables(service: str, tmp_path: Path) -> None:
    versions, models = _service(service)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / service}.db")

    await upgrade_to_head(engine, versions, models)
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences, models)
    await engine.dispose()

    assert differences == []


@pytest.mark.parametrize("service", SERVICES)
async def test_upgrade_twice_changes_nothing(service: str, tmp_path: Path) -> None:
    versions, models = _service(service)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / service}.db")

    await upgrade_to_head(engine, versions, models)
    await upgrade_to_head(engine, versions, models)
    async with engine.connect() as connection:
        tables = await connection.run_sync(
            lambda c: sorted(inspect(c).get_table_names())
        )
    await engine.dispose()

    assert tables == sorted([*(m.__tablename__ for m in models), "alembic_version"])
