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
adds its own work per row, with one INSERT per row where the database
assigns the key. Handlers build new rows with `new_row`, which skips the
per-field machinery, and hand them to `insert_row`. In a consumer batch
that calls `queue_inserts`, the batch's new rows of each table are then
written in one statement (an INSERT on SQLite, a COPY on PostgreSQL), and
`get_row` still finds them.

The memory lives in `session.info`, so it ends with the batch's session.
In any other session, an API request's for instance, `get_row` is a plain
`session.get` and `insert_row` adds the row to the session at once.
"""

import copy
import datetime as dt
import functools
from collections import defaultdict
from collections.abc import (
    Awaitable,
    Callable,
    Hashable,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ARRAY,
    Column,
    ColumnElement,
    Table,
    event,
    func,
    insert,
    inspect,
    literal,
    tuple_,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_shared.events import EventPayload

Row = TypeVar("Row", bound=SQLModel)
Key = tuple[Any, ...]
# A row queued for insertion: a session object, or its field values.
QueuedRow = SQLModel | dict[str, Any]

Preloader = Callable[[AsyncSession, Sequence[EventPayload]], Awaitable[None]]
"""A function that loads the rows the handlers of these payloads will read."""

_LOADED = "palermo.preloaded"
_QUEUED = "palermo.queued"
_QUEUEING = "palermo.queueing"
_UNKNOWN = object()

# Bound parameters per query: SQLite (since 3.32) allows 32,766, and the
# PostgreSQL protocol 65,535.
MAX_PARAMETERS = 30_000


def combine_preloaders(*maps: Mapping[str, Preloader]) -> dict[str, Preloader]:
    """Return, per event type, a preloader that runs those of every map in turn."""
    by_type: defaultdict[str, list[Preloader]] = defaultdict(list)
    for preloaders in maps:
        for event_type, preloader in preloaders.items():
            by_type[event_type].append(preloader)
    return {event_type: _in_turn(found) for event_type, found in by_type.items()}


def _in_turn(preloaders: list[Preloader]) -> Preloader:
    async def preload(session: AsyncSession, payloads: Sequence[EventPayload]) -> None:
        for preloader in preloaders:
            await preloader(session, payloads)

    return preload


def _key(key: Hashable) -> Key:
    return key if isinstance(key, tuple) else (key,)


def _loaded(session: AsyncSession | Session, model: type[SQLModel]) -> dict[Key, Any]:
    loaded: dict[type[SQLModel], dict[Key, Any]]
    loaded = session.info.setdefault(_LOADED, {})
    return loaded.setdefault(model, {})


def _queued(session: AsyncSession | Session, model: type[SQLModel]) -> dict[Key, Any]:
    queued: dict[type[SQLModel], dict[Key, QueuedRow]]
    queued = session.info.setdefault(_QUEUED, {})
    return queued.setdefault(model, {})


async def preload_rows(
    session: AsyncSession,
    model: type[SQLModel],
    keys: Iterable[Hashable],
    *,
    for_update: bool = False,
) -> None:
    """Load the rows of `model` with these primary keys, and record the absent ones.

    A key is a primary key value, or a tuple of them in the order of the
    table's primary key columns. With `for_update`, PostgreSQL locks the rows
    until the transaction ends, in the order of their keys so that two
    transactions locking the same rows wait for each other instead of
    deadlocking. SQLite needs no row lock, because its writers run one at a
    time.
    """
    loaded = _loaded(session, model)
    missing = list({_key(key) for key in keys} - loaded.keys())
    columns = inspect(model).primary_key
    chunk = max(1, MAX_PARAMETERS // len(columns))
    dialect = session.get_bind().dialect.name

    for start in range(0, len(missing), chunk):
        part = missing[start : start + chunk]
        query = select(model).where(_key_in(columns, part, dialect=dialect))
        if for_update:
            query = query.order_by(*columns).with_for_update()
        for row in (await session.exec(query)).all():
            loaded[tuple(inspect(row).identity)] = row
    for key in missing:
        loaded.setdefault(key, None)


def _key_in(
    columns: Sequence[Column[Any]], keys: Sequence[Key], *, dialect: str
) -> ColumnElement[bool]:
    """Return the condition that the primary key is one of `keys`.

    PostgreSQL compared every row of the table with each key of an IN list
    of row values, which took 72 ms for a batch of 500 keys at 20,000 rows
    and grew with the table. On PostgreSQL the keys therefore go in one
    array per key column, and the IN compares with their unnested rows.
    """
    if dialect != "postgresql":
        return tuple_(*columns).in_(keys)
    arrays = [
        literal([key[position] for key in keys], ARRAY(column.type))
        for position, column in enumerate(columns)
    ]
    names = [column.key for column in columns]
    listed = func.unnest(*arrays).table_valued(*names).render_derived()
    return tuple_(*columns).in_(listed.select())


async def get_row(
    session: AsyncSession,
    model: type[Row],
    key: Hashable,
    *,
    for_update: bool = False,
) -> Row | None:
    """Return the row with this primary key, from the preloaded rows if known.

    A row still queued by `insert_row` or `insert_values` leaves the queue
    and is added to the session, so that changes to it are saved. A row
    read from the database is locked with `for_update`, as `preload_rows`
    locks it.
    """
    queued: QueuedRow | None = _queued(session, model).pop(_key(key), None)
    if isinstance(queued, dict):
        queued = _build(model, queued, fields_set=queued)
    if queued is not None:
        add_row(session, key, queued)
        return cast(Row, queued)

    # A row added in a savepoint that was rolled back has left the session
    # and is transient again, so it is read from the database instead.
    found: Row | None = _loaded(session, model).get(_key(key), _UNKNOWN)
    if found is None or (found is not _UNKNOWN and not inspect(found).transient):
        return found
    return await session.get(model, key, with_for_update=for_update)


@dataclass(frozen=True)
class _Fields:
    """A table model's fields, sorted by how a new row gets their values."""

    names: frozenset[str]
    ordered: tuple[str, ...]
    required: frozenset[str]
    defaults: dict[str, Any]
    factories: dict[str, Callable[[], Any]]
    # Factory of bare instances with their SQLAlchemy state, as loading makes.
    new_instance: Callable[[], Any]


# Defaults that can be shared between rows without being copied.
_IMMUTABLE = (type(None), bool, int, float, str, bytes, dt.datetime, dt.date)


@functools.cache
def _fields(model: type[SQLModel]) -> _Fields:
    """Return the model's fields, read once per model.

    Pydantic's `get_default` inspects the factory's signature on every call.
    """
    required, defaults, factories = set(), {}, {}
    for name, field in model.model_fields.items():
        if field.is_required():
            required.add(name)
        elif field.default_factory is not None:
            factories[name] = cast(Callable[[], Any], field.default_factory)
        elif isinstance(field.default, _IMMUTABLE):
            defaults[name] = field.default
        else:
            factories[name] = functools.partial(copy.deepcopy, field.default)
    ordered = tuple(model.model_fields)
    new_instance = inspect(model).class_manager.new_instance
    return _Fields(
        frozenset(ordered),
        ordered,
        frozenset(required),
        defaults,
        factories,
        new_instance,
    )


def _complete(model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """Return every field's value: those given, and the defaults of the others."""
    fields = _fields(model)
    if not fields.names.issuperset(values):
        unknown = ", ".join(sorted(values.keys() - fields.names))
        raise TypeError(f"{model.__name__}: unknown field {unknown}")
    if not fields.required.issubset(values):
        missing = ", ".join(sorted(fields.required - values.keys()))
        raise TypeError(f"{model.__name__}: missing value for {missing}")

    complete = {**fields.defaults, **values}
    for name, factory in fields.factories.items():
        if name not in values:
            complete[name] = factory()
    return complete


def new_row(model: type[Row], **values: Any) -> Row:
    """Build a new row of a table model, with defaults for the fields not given.

    The row is built as SQLAlchemy builds one it loads from the database: a
    bare instance with its state, whose fields are then filled at once. Table
    models do not validate in their constructor either, so the only
    difference is speed. Unknown and missing required fields are errors, as
    they are for the constructor.
    """
    return _build(model, _complete(model, values), fields_set=values.keys())


def _build(
    model: type[Row], complete: dict[str, Any], *, fields_set: Iterable[str]
) -> Row:
    """Return a row with every field's value, `fields_set` being those given."""
    row: Row = _fields(model).new_instance()
    row.__dict__.update(complete)
    object.__setattr__(row, "__pydantic_fields_set__", set(fields_set))
    return row


def add_row(session: AsyncSession, key: Hashable, row: SQLModel) -> None:
    """Add a new row, so that `get_row` finds it before it is flushed."""
    session.add(row)
    _loaded(session, type(row))[_key(key)] = row


def queue_inserts(session: AsyncSession) -> None:
    """Let `insert_row` queue rows in this session, which must use no savepoint.

    A queued row would survive the rollback of a savepoint taken after it
    was queued, so only a transaction without savepoints may queue.
    """
    session.info[_QUEUEING] = True


def insert_row(session: AsyncSession, row: SQLModel) -> None:
    """Add a new row, built by `new_row`, whose primary key no stored row has.

    In a session that queues inserts, the row is written with the other
    queued rows of its table in one statement, before the session runs its
    next statement, flushes or commits, so no query misses it. Until then
    `get_row` finds it and adds it to the session, which is how a later
    event changes it. Leave the row unchanged after this call. Tables are
    written in the order their first row was queued, so queue a parent row
    before rows that refer to it. In any other session the row is added to
    the session at once. A key queued twice raises `ValueError`, as a second
    INSERT of it would fail.
    """
    model = type(row)
    key = tuple(row.__dict__[name] for name in _primary_key(model))
    if not session.info.get(_QUEUEING):
        session.add(row)
        if None not in key:
            _loaded(session, model)[key] = row
        return
    _queue(session, model, key, row)


def insert_values(session: AsyncSession, model: type[SQLModel], **values: Any) -> None:
    """Add a new row of `model`, given as its field values, like `insert_row`.

    In a session that queues inserts, the values are queued as they are.
    Building a session object per row, and later discarding it, cost a
    consumer about 9 µs a row, about as long as SQLite took to insert it. `get_row`
    builds the row when a later event of the batch requests it. In any other
    session the row is built by `new_row` and added at once.
    """
    if not session.info.get(_QUEUEING):
        insert_row(session, new_row(model, **values))
        return
    complete = _complete(model, values)
    key = tuple(complete[name] for name in _primary_key(model))
    _queue(session, model, key, complete)


def _queue(
    session: AsyncSession,
    model: type[SQLModel],
    key: Key,
    entry: QueuedRow,
) -> None:
    # A key the database assigns is not known yet, so such a row is queued
    # under a placeholder that no lookup matches.
    if None in key:
        key = (object(),)
    queued = _queued(session, model)
    if key in queued:
        raise ValueError(f"{model.__name__} {key} is already queued for insertion")
    queued[key] = entry


@functools.cache
def _primary_key(model: type[SQLModel]) -> tuple[str, ...]:
    """Return the names of the primary key columns, looked up once per model."""
    return tuple(column.key for column in inspect(model).primary_key)


def _write_queued(session: Session) -> None:
    """Insert the queued rows; `get_row` then reads them from the database."""
    queued: dict[type[SQLModel], dict[Key, QueuedRow]]
    queued = session.info.get(_QUEUED, {})
    if not any(queued.values()):
        return

    del session.info[_QUEUED]
    connection = session.connection()
    for model, rows in queued.items():
        # `get_row` may have taken every queued row of a table.
        if not rows:
            continue
        fields = [e if isinstance(e, dict) else e.__dict__ for e in rows.values()]
        _insert_rows(connection, model, fields)

        loaded = _loaded(session, model)
        for key in rows:
            loaded.pop(key, None)


def _insert_rows(
    connection: Connection, model: type[SQLModel], rows: list[dict[str, Any]]
) -> None:
    """Insert rows of `model`, each given as its fields' values, at the driver.

    Values are converted by the columns' own bind processors, except None,
    which is sent as NULL, as leaving the column out would store. SQLite
    receives the rows as tuples in one executemany, and PostgreSQL through
    asyncpg's binary COPY. Both spare SQLAlchemy's compilation of each
    batch. Its executemany spent about 2 µs more per row of event-loop
    time on SQLite. On PostgreSQL the notify consumer handled 4,200 to 4,600
    events a second with COPY against 3,300 to 3,500, and the server spent
    about a quarter less time per event.
    """
    table = inspect(model).local_table
    if connection.dialect.name == "sqlite":
        sql, names, processors = _driver_insert(table, connection.dialect)
        connection.exec_driver_sql(sql, _driver_rows(rows, names, processors))
        return

    # Rows whose key the database assigns leave the key column out.
    autoincrement = table.autoincrement_column
    by_key_given: defaultdict[bool, list[dict[str, Any]]] = defaultdict(list)
    for fields in rows:
        key_given = autoincrement is None or fields[autoincrement.key] is not None
        by_key_given[key_given].append(fields)
    for key_given, group in by_key_given.items():
        _copy_rows(connection, table, group, with_key=key_given)


_Processor = Callable[[Any], Any]
_Processors = tuple[tuple[int, _Processor], ...]


def _driver_rows(
    rows: list[dict[str, Any]], keys: Sequence[str], processors: _Processors
) -> list[tuple[Any, ...]]:
    """Return each row's values in the order of `keys`, converted for the driver."""
    converted = []
    for fields in rows:
        row = [fields[key] for key in keys]
        for position, process in processors:
            if row[position] is not None:
                row[position] = process(row[position])
        converted.append(tuple(row))
    return converted


def _processors(table: Table, keys: Sequence[str], dialect: Dialect) -> _Processors:
    """Return the bind processors of these columns, by position."""
    processors = []
    for position, key in enumerate(keys):
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((position, process))
    return tuple(processors)


@functools.cache
def _driver_insert(
    table: Table, dialect: Dialect
) -> tuple[str, tuple[str, ...], _Processors]:
    """Return the INSERT of every column: its SQL, parameter names and processors."""
    columns = [column.key for column in table.columns]
    compiled = insert(table).compile(dialect=dialect, column_keys=columns)
    names = tuple(compiled.positiontup or ())
    return compiled.string, names, _processors(table, names, dialect)


def _copy_rows(
    connection: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    with_key: bool,
) -> None:
    """Insert rows into a PostgreSQL table with COPY, in the open transaction.

    A failed COPY raises asyncpg's own error (UniqueViolationError for a
    duplicate key), not SQLAlchemy's. A consumer batch catches any error
    and handles its events again one by one.
    """
    keys, names, processors = _copy_columns(table, connection.dialect, with_key)
    records = _driver_rows(rows, keys, processors)
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    # SQLAlchemy's asyncpg adapter begins the transaction with the first
    # statement it runs, so COPY as the first one would commit on its own.
    if not dbapi_connection.driver_connection.is_in_transaction():
        connection.exec_driver_sql("SELECT 1")
    dbapi_connection.run_async(
        lambda driver: driver.copy_records_to_table(
            table.name, records=records, columns=names, schema_name=table.schema
        )
    )


@functools.cache
def _copy_columns(
    table: Table, dialect: Dialect, with_key: bool
) -> tuple[tuple[str, ...], tuple[str, ...], _Processors]:
    """Return the keys, database names and bind processors of the copied columns."""
    left_out = None if with_key else table.autoincrement_column
    columns = [column for column in table.columns if column is not left_out]
    keys = tuple(column.key for column in columns)
    names = tuple(column.name for column in columns)
    return keys, names, _processors(table, keys, dialect)


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
