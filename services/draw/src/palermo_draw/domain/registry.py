"""The States-parties registry: validating rows and applying dated changes.

A change replaces one entity's whole row (the columns of `states.csv`) from
its effective date on. The registry on a day is the shipped `states.csv`
with every change effective on or before that day applied in order of
effective date, then of recording. An empty party cell in a change means
that the entity is not party from that date on (a denunciation, or a
correction of the shipped data).
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from palermo_shared.dates import past_date
from palermo_shared.filters import well_formed_state
from palermo_shared.reference.states import StateParty, parse_states
from palermo_shared.text import control_character_problem

COLUMNS = (
    "iso3",
    "name",
    "regional_group",
    "legal_system",
    "untoc",
    "tip",
    "som",
    "firearms",
    "uncac",
)
PARTY_COLUMNS = ("untoc", "tip", "som", "firearms", "uncac")
REGIONAL_GROUPS = (
    "African",
    "Asia-Pacific",
    "Eastern European",
    "Latin American and Caribbean",
    "Western European and Others",
)
LEGAL_TRADITIONS = ("civil_law", "common_law", "customary", "jewish_law", "muslim_law")


class InvalidRow(ValueError):
    """Raised for a row that breaks the format; names the row and the column."""

    def __init__(self, message: str, *, row: int, column: str) -> None:
        super().__init__(f"row {row}, column {column}: {message}")
        self.row = row
        self.column = column
        self.reason = message


@dataclass(frozen=True)
class RegistryChange:
    effective_date: dt.date
    sequence: int
    row: Mapping[str, str]


def check_header(header: Sequence[str] | None) -> None:
    names = [name.strip() for name in header or ()]
    for column in COLUMNS:
        if column not in names:
            raise InvalidRow(f"missing column {column!r}", row=1, column=column)


def normalize_row(raw: Mapping[str, str | None], *, row: int) -> dict[str, str]:
    """Return the row with trimmed cells, or raise."""
    cells = {column: (raw.get(column) or "").strip() for column in COLUMNS}
    try:
        well_formed_state(cells["iso3"])
    except ValueError as error:
        raise InvalidRow(str(error), row=row, column="iso3") from None
    if not cells["name"]:
        raise InvalidRow("missing name", row=row, column="name")
    problem = control_character_problem(cells["name"], multi_line=False)
    if problem is not None:
        raise InvalidRow(problem, row=row, column="name")
    group = cells["regional_group"]
    if group and group not in REGIONAL_GROUPS:
        raise InvalidRow(
            f"unknown regional group {group!r}; expected one of "
            f"{', '.join(REGIONAL_GROUPS)} or empty",
            row=row,
            column="regional_group",
        )
    _check_legal_system(cells["legal_system"], row=row)
    for column in PARTY_COLUMNS:
        _check_party_cell(cells[column], row=row, column=column)
    return cells


def parse_rows(rows: Iterable[Mapping[str, str | None]]) -> list[dict[str, str]]:
    """Validate every data row (numbered from 2, after the header); raise on one."""
    seen: dict[str, int] = {}
    parsed = []
    for number, raw in enumerate(rows, start=2):
        cells = normalize_row(raw, row=number)
        if cells["iso3"] in seen:
            raise InvalidRow(
                f"{cells['iso3']} repeats row {seen[cells['iso3']]}",
                row=number,
                column="iso3",
            )
        seen[cells["iso3"]] = number
        parsed.append(cells)
    return parsed


def registry_on(
    baseline: Mapping[str, StateParty],
    changes: Iterable[RegistryChange],
    day: dt.date,
) -> dict[str, StateParty]:
    """Return the registry as it stood on `day`."""
    registry = dict(baseline)
    effective = sorted(
        (c for c in changes if c.effective_date <= day),
        key=lambda c: (c.effective_date, c.sequence),
    )
    for change in effective:
        registry.update(parse_states([dict(change.row)]))
    return dict(sorted(registry.items()))


def _check_legal_system(value: str, *, row: int) -> None:
    if not value:
        return
    traditions = value.removeprefix("mixed:").split("+")
    mixed = value.startswith("mixed:")
    valid = all(t in LEGAL_TRADITIONS for t in traditions) and (
        (mixed and len(traditions) >= 2) or (not mixed and len(traditions) == 1)
    )
    if not valid:
        raise InvalidRow(
            f"invalid legal system {value!r}; expected one of "
            f"{', '.join(LEGAL_TRADITIONS)}, or 'mixed:' and two or more of "
            "them joined by '+'",
            row=row,
            column="legal_system",
        )


def _check_party_cell(value: str, *, row: int, column: str) -> None:
    if value in ("", "yes"):
        return
    try:
        deposit = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidRow(
            f"invalid party cell {value!r}; expected a deposit date "
            "(YYYY-MM-DD), 'yes' or empty",
            row=row,
            column=column,
        ) from None
    try:
        past_date(deposit)
    except ValueError as error:
        raise InvalidRow(str(error), row=row, column=column) from None
