"""Rows a consumer batch reads, loaded in one query per table.

On SQLite through aiosqlite every statement costs several hops to the
database thread, so a handler that looks up its row with `session.get` for
each event spends most of its time waiting. Before it runs the handlers of
a batch, a consumer calls a preloader, which loads the rows of every event
of the batch at once with `preload_rows` and records which keys have no row.
Handlers then look rows up with `get_row` and add new ones with `add_row`,
which use those rows without querying the database.

The memory lives in `session.info`, so it ends with the batch's session.
In any other session, an API request's for instance, `get_row` is a plain
`session.get`.
"""

from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import inspect, tuple_
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_shared.events import EventPayload

Row = TypeVar("Row", bound=SQLModel)

Preloader = Callable[[AsyncSession, Sequence[EventPayload]], Awaitable[None]]
"""A function that loads the rows the handlers of these payloads will read."""

_LOADED = "palermo.preloaded"

# Bound parameters per query: SQLite (since 3.32) allows 32,766, and the
# PostgreSQL protocol 65,535.
MAX_PARAMETERS = 30_000


def _key(key: Hashable) -> tuple[Any, ...]:
    return key if isinstance(key, tuple) else (key,)


def _loaded(session: AsyncSession, model: type[SQLModel]) -> dict[tuple[Any, ...], Any]:
    loaded: dict[type[SQLModel], dict[tuple[Any, ...], Any]]
    loaded = session.info.setdefault(_LOADED, {})
    return loaded.setdefault(model, {})


async def preload_rows(
    session: AsyncSession, model: type[SQLModel], keys: Iterable[Hashable]
) -> None:
    """Load the rows of `model` with these primary keys, and record the absent ones.

    A key is a primary key value, or a tuple of them in the order of the
    table's primary key columns.
    """
    loaded = _loaded(session, model)
    missing = list({_key(key) for key in keys} - loaded.keys())
    columns = inspect(model).primary_key
    chunk = max(1, MAX_PARAMETERS // len(columns))

    for start in range(0, len(missing), chunk):
        part = missing[start : start + chunk]
        query = select(model).where(tuple_(*columns).in_(part))
        for row in (await session.exec(query)).all():
            loaded[tuple(inspect(row).identity)] = row
    for key in missing:
        loaded.setdefault(key, None)


async def get_row(session: AsyncSession, model: type[Row], key: Hashable) -> Row | None:
    """Return the row with this primary key, from the preloaded rows if known."""
    loaded = _loaded(session, model)
    if _key(key) in loaded:
        row: Row | None = loaded[_key(key)]
        return row
    return await session.get(model, key)


def add_row(session: AsyncSession, key: Hashable, row: SQLModel) -> None:
    """Add a new row, so that `get_row` finds it before it is flushed."""
    session.add(row)
    _loaded(session, type(row))[_key(key)] = row
