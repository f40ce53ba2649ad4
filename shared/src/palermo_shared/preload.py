"""Rows a consumer batch reads and opens, with as few statements as possible.

On SQLite through aiosqlite every statement costs several hops to the
database thread, so a handler that looks up its row with `session.get` for
each event spends most of its time waiting. Before it runs the handlers of
a batch, a consumer calls a preloader, which loads the rows of every event
of the batch at once with `preload_rows` and records which keys have no row.
Handlers then look rows up with `get_row` and add new ones with `add_row`,
which use those rows without querying the database.

Opening rows costs more than reading them. SQLModel's constructor sets each
field through both SQLAlchemy's and pydantic's attribute machinery (measured
at about 40 µs for a row of twenty fields), and the unit of work's flush
adds its own work per row. A handler that opens a row it will not change
again gives its values to `insert_row` instead: the batch's new rows are
written in one INSERT, and `get_row` still finds them. Rows a handler goes
on changing are built with `new_row`, which skips the per-field machinery.

The memory lives in `session.info`, so it ends with the batch's session.
In any other session, an API request's for instance, `get_row` is a plain
`session.get` and `insert_row` adds the row to the session at once.
"""

from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import event, insert, inspect, tuple_
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_shared.events import EventPayload

Row = TypeVar("Row", bound=SQLModel)
Key = tuple[Any, ...]

Preloader = Callable[[AsyncSession, Sequence[EventPayload]], Awaitable[None]]
"""A function that loads the rows the handlers of these payloads will read."""

_LOADED = "palermo.preloaded"
_QUEUED = "palermo.queued"
_UNKNOWN = object()

# Bound parameters per query: SQLite (since 3.32) allows 32,766, and the
# PostgreSQL protocol 65,535.
MAX_PARAMETERS = 30_000


def _key(key: Hashable) -> Key:
    return key if isinstance(key, tuple) else (key,)


def _loaded(session: AsyncSession | Session, model: type[SQLModel]) -> dict[Key, Any]:
    loaded: dict[type[SQLModel], dict[Key, Any]]
    loaded = session.info.setdefault(_LOADED, {})
    return loaded.setdefault(model, {})


def _queued(
    session: AsyncSession | Session, model: type[SQLModel]
) -> dict[Key, dict[str, Any]]:
    queued: dict[type[SQLModel], dict[Key, dict[str, Any]]]
    queued = session.info.setdefault(_QUEUED, {})
    return queued.setdefault(model, {})


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
    """Return the row with this primary key, from the preloaded rows if known.

    A row still queued by `insert_row` leaves the queue and becomes an
    object of the session, so that changes to it are saved.
    """
    values = _queued(session, model).pop(_key(key), None)
    if values is not None:
        row = new_row(model, **values)
        add_row(session, key, row)
        return row

    # A row added in a savepoint that was rolled back has left the session
    # and is transient again, so the database is asked instead.
    found: Row | None = _loaded(session, model).get(_key(key), _UNKNOWN)
    if found is None or (found is not _UNKNOWN and not inspect(found).transient):
        return found
    return await session.get(model, key)


def _complete(model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """Return every field's value: those given, and the defaults of the others."""
    fields = model.model_fields
    unknown = values.keys() - fields.keys()
    if unknown:
        raise TypeError(f"{model.__name__}: unknown field {', '.join(sorted(unknown))}")

    complete = dict(values)
    for name, field in fields.items():
        if name in complete:
            continue
        if field.is_required():
            raise TypeError(f"{model.__name__}: missing value for {name}")
        complete[name] = field.get_default(call_default_factory=True)
    return complete


def new_row(model: type[Row], **values: Any) -> Row:
    """Build a new row of a table model, with defaults for the fields not given.

    The row is built as SQLAlchemy builds one it loads from the database: a
    bare instance with its state, whose fields are then filled at once. Table
    models do not validate in their constructor either, so the only
    difference is speed. Unknown and missing required fields are errors, as
    they are for the constructor.
    """
    complete = _complete(model, values)
    row: Row = inspect(model).class_manager.new_instance()
    row.__dict__.update(complete)
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    return row


def add_row(session: AsyncSession, key: Hashable, row: SQLModel) -> None:
    """Add a new row, so that `get_row` finds it before it is flushed."""
    session.add(row)
    _loaded(session, type(row))[_key(key)] = row


def insert_row(
    session: AsyncSession, model: type[SQLModel], key: Hashable, **values: Any
) -> None:
    """Add a new row, written with the other queued rows of `model` in one INSERT.

    The queue is written before the session runs its next statement,
    flushes or commits, so no query misses a queued row. Only a row whose
    key a preload found absent is queued. Other rows are added to the
    session at once. Consumers preload only in batches without savepoints,
    so a rollback to a savepoint cannot leave a queued row behind.
    """
    complete = _complete(model, values)
    if _loaded(session, model).get(_key(key), _UNKNOWN) is not None:
        add_row(session, key, new_row(model, **complete))
        return
    _queued(session, model)[_key(key)] = complete


def _write_queued(session: Session) -> None:
    """Insert the queued rows; `get_row` then reads them from the database."""
    queued: dict[type[SQLModel], dict[Key, dict[str, Any]]]
    queued = session.info.get(_QUEUED, {})
    if not any(queued.values()):
        return

    del session.info[_QUEUED]
    connection = session.connection()
    for model, rows in queued.items():
        if not rows:
            continue
        connection.execute(insert(inspect(model).local_table), list(rows.values()))
        loaded = _loaded(session, model)
        for key in rows:
            loaded.pop(key, None)


@event.listens_for(Session, "do_orm_execute")
def _write_before_statement(state: ORMExecuteState) -> None:
    _write_queued(state.session)


@event.listens_for(Session, "before_flush")
def _write_before_flush(
    session: Session, _context: UOWTransaction, _instances: object
) -> None:
    _write_queued(session)


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    _write_queued(session)
