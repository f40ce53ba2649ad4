"""Database engines as the services create them."""

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession


async def test_postgresql_plans_each_execution(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    engine = sessions.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    if engine.dialect.name != "postgresql":
        pytest.skip("checks a PostgreSQL setting; run with --database=postgresql")

    async with engine.connect() as connection:
        mode = (await connection.execute(text("SHOW plan_cache_mode"))).scalar_one()

    assert mode == "force_custom_plan"
