"""The States-parties registry: dated changes by the Secretariat, and lookups."""

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_draw.domain.registry import (
    PARTY_COLUMNS,
    InvalidRow,
    RegistryChange,
    check_header,
    parse_rows,
    registry_on,
)
from palermo_draw.tables import RegistryChangeRow
from palermo_shared.clock import utcnow
from palermo_shared.contracts.draw import StatePartyUpdated
from palermo_shared.db import lock_until_commit
from palermo_shared.errors import InvalidInput
from palermo_shared.events import new_event
from palermo_shared.outbox import record_event
from palermo_shared.reference.states import StateParty, load_states

logger = logging.getLogger(__name__)

SOURCE = "/palermo/draw"
# Taken by every transaction that records registry changes.
REGISTRY_LOCK = "palermo_draw.registry"


async def registry_at(session: AsyncSession, day: dt.date) -> dict[str, StateParty]:
    """Return the registry as it stood on `day`: the shipped data and changes."""
    rows = (await session.exec(select(RegistryChangeRow))).all()
    changes = [
        RegistryChange(r.effective_date, r.id or 0, r.row)
        for r in rows
        if r.effective_date <= day
    ]
    return registry_on(load_states(), changes, day)


async def list_changes(session: AsyncSession) -> list[RegistryChangeRow]:
    query = select(RegistryChangeRow).order_by(
        col(RegistryChangeRow.effective_date), col(RegistryChangeRow.id)
    )
    return list((await session.exec(query)).all())


def validate_row(raw: dict[str, str | None]) -> dict[str, str]:
    """Validate one row sent through the API; a bad cell is a 422 on its column."""
    try:
        return parse_rows([raw])[0]
    except InvalidRow as error:
        raise InvalidInput(error.reason, field=error.column) from None


def parse_csv(text: str) -> list[dict[str, str]]:
    """Validate a whole CSV file; the first bad row rejects the file.

    Strict parsing rejects a quote left open, which would otherwise take
    the rest of the file into one cell.
    """
    # Reading with universal newlines accepts lines ended by a lone carriage
    # return (spreadsheets for the classic Mac OS). It would change a line
    # break inside a quoted cell, but no cell of the registry may contain one.
    reader = csv.DictReader(io.StringIO(text, newline=None), strict=True)
    try:
        # The header check allows spaces around a column name. The cells are
        # read by the trimmed names too, or a cell under " tip" reads as empty.
        reader.fieldnames = [name.strip() for name in reader.fieldnames or ()]
        _check_header_shape(reader.fieldnames)
        check_header(reader.fieldnames)
        return parse_rows(_full_rows(reader))
    except InvalidRow as error:
        raise InvalidInput(
            str(error), field=error.column, row=error.row, column=error.column
        ) from None
    except csv.Error as error:
        # line_num counts the records read whole, so the record that failed
        # is the next one (rows are numbered from 1, the header).
        row = reader.line_num + 1
        raise InvalidInput(
            f"unreadable CSV at row {row}: {error}", field="body", row=row
        ) from None


def _check_header_shape(header: list[str]) -> None:
    """Raise `InvalidInput` for a file without a header or split by semicolons.

    Both would otherwise be reported as a missing `iso3` column.
    """
    if not any(header):
        raise InvalidInput(
            "the CSV is empty; send a header row with the columns of "
            "states.csv, then one row per entity",
            field="body",
            row=1,
        )
    if len(header) == 1 and ";" in header[0]:
        raise InvalidInput(
            "the columns of the header are separated by semicolons; "
            "separate them with commas, as in states.csv",
            field="body",
            row=1,
        )


def _full_rows(
    reader: "csv.DictReader[str]",
) -> Iterator[dict[str, str | None]]:
    """Yield the rows, raising `InvalidInput` at one with more or fewer cells
    than the header."""
    width = len(reader.fieldnames or ())
    for number, row in enumerate(reader, start=2):
        # DictReader puts the cells beyond the header in a list under None
        # and gives None to the columns a short row lacks.
        beyond = row.pop(None, None) or []
        cells = sum(value is not None for value in row.values()) + len(beyond)
        if cells != width:
            raise InvalidInput(
                f"row {number} has {cells} cells where the header has {width}",
                field="body",
                row=number,
            )
        yield row


@dataclass(frozen=True)
class RecordedChanges:
    """The outcome of recording rows: the changes stored, and those found."""

    new: list[RegistryChangeRow]
    already_recorded: list[RegistryChangeRow]


async def record_changes(
    session: AsyncSession,
    rows: list[dict[str, str]],
    *,
    effective_date: dt.date,
    source: str,
) -> RecordedChanges:
    """Store each row as a change effective on `effective_date`, with its event.

    A row is already recorded when the latest change of its entity on the
    same effective date has the same cells. It is not stored again, so an
    import sent twice records its changes once. A row equal to an earlier,
    since replaced change of that date is new: it restores that row.
    """
    await lock_until_commit(session, REGISTRY_LOCK)
    latest = await _latest_changes_on(session, effective_date)

    new, already_recorded = [], []
    for row in rows:
        current = latest.get(row["iso3"])
        if current is not None and current.row == row:
            already_recorded.append(current)
        else:
            new.append(_record_change(session, row, effective_date, source))

    logger.info(
        "Recorded %d registry changes effective %s from %s; %d were already recorded",
        len(new),
        effective_date,
        source,
        len(already_recorded),
    )
    return RecordedChanges(new, already_recorded)


async def _latest_changes_on(
    session: AsyncSession, effective_date: dt.date
) -> dict[str, RegistryChangeRow]:
    """Return the last change recorded for each entity on `effective_date`."""
    query = (
        select(RegistryChangeRow)
        .where(RegistryChangeRow.effective_date == effective_date)
        .order_by(col(RegistryChangeRow.id))
    )
    return {change.iso3: change for change in (await session.exec(query)).all()}


def _record_change(
    session: AsyncSession, row: dict[str, str], effective_date: dt.date, source: str
) -> RegistryChangeRow:
    change = RegistryChangeRow(
        iso3=row["iso3"],
        effective_date=effective_date,
        row=row,
        source=source,
        recorded_at=utcnow(),
    )
    session.add(change)
    payload = StatePartyUpdated(
        iso3=row["iso3"],
        name=row["name"],
        regional_group=row["regional_group"] or None,
        legal_system=row["legal_system"] or None,
        parties={column: row[column] for column in PARTY_COLUMNS},
        effective_date=effective_date,
        source=source,
    )
    subject = f"state/{row['iso3']}"
    record_event(session, new_event(payload, source=SOURCE, subject=subject))
    return change
