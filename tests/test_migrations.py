"""Each service's Alembic revisions build exactly the tables its code declares."""

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, inspect
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
    _versions, models = _service(service)

    differences, _dialect = await _read_head(
        service, tmp_path, lambda connection: _differences(connection, models)
    )

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


@pytest.mark.parametrize("service", SERVICES)
async def test_revisions_keep_index_conditions(service: str, tmp_path: Path) -> None:
    """Partial indexes have the declared conditions, which autogenerate skips."""
    _versions, models = _service(service)

    stored, dialect = await _read_head(service, tmp_path, _stored_conditions)

    assert stored == _declared_conditions(metadata_of(models), dialect)


async def _read_head(
    service: str, tmp_path: Path, read: Callable[[Connection], Any]
) -> tuple[Any, str]:
    """Return what `read` finds in a database upgraded to the service's head,
    and the database's dialect name."""
    versions, models = _service(service)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / service}.db")

    await upgrade_to_head(engine, versions, models)
    async with engine.connect() as connection:
        found = await connection.run_sync(read)
    await engine.dispose()
    return found, engine.dialect.name


def _stored_conditions(connection: Connection) -> dict[str, str]:
    """Return the condition of each partial index in the database, by name."""
    inspector = inspect(connection)
    option = f"{connection.dialect.name}_where"
    return {
        index["name"]: _normalized(index["dialect_options"][option])
        for table in inspector.get_table_names()
        for index in inspector.get_indexes(table)
        if index["name"] and option in index["dialect_options"]
    }


def _declared_conditions(metadata: MetaData, dialect: str) -> dict[str, str]:
    return {
        str(index.name): _normalized(where)
        for table in metadata.tables.values()
        for index in table.indexes
        if (where := index.dialect_options[dialect]["where"]) is not None
    }


def _normalized(condition: Any) -> str:
    """Return a condition's text without casts, brackets and case differences.

    PostgreSQL returns `status != 'ended'` as `((status)::text <>
    'ended'::text)`.
    """
    text = re.sub(r"::[a-z]+(?: [a-z]+)*", "", str(condition).lower())
    text = text.replace("!=", "<>").replace("(", "").replace(")", "")
    return " ".join(text.split())
