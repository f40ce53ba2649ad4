"""States parties, read from the `states.csv` shipped as package data.

The file records, for each entity, its UN regional group, its legal-system
family (JuriGlobe 2018) and the deposit date of its instrument of
ratification or accession to each treaty. Its gaps are kept visible:

- an empty party cell means that no source was found, not that the entity
  is confirmed as a non-party;
- `yes` means that a source states the entity is a party without giving a
  date, which is kept as `PartyStatus(dated=False)`;
- four entities (Holy See, Cook Islands, Niue, European Union) belong to no
  UN regional group, and six have no legal-system classification.

`data/SOURCES.md` beside the CSV lists where every value comes from.
"""

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources

from palermo_shared.reference.instruments import Instrument

# Column of states.csv for each instrument, and for the Convention against
# Corruption, which decides whether articles 8 and 9 of the Convention apply.
_INSTRUMENT_COLUMNS: dict[Instrument, str] = {
    Instrument.CONVENTION: "untoc",
    Instrument.TRAFFICKING_IN_PERSONS: "tip",
    Instrument.SMUGGLING_OF_MIGRANTS: "som",
    Instrument.FIREARMS: "firearms",
}
_UNCAC_COLUMN = "uncac"


@dataclass(frozen=True)
class PartyStatus:
    """How an entity became party to one treaty, as far as the sources tell."""

    deposit_date: dt.date | None

    @property
    def dated(self) -> bool:
        return self.deposit_date is not None

    def party_on(self, day: dt.date) -> bool:
        """Tell whether the entity was party on `day`.

        An undated party is taken as party on any day, because the sources
        state that it is party without saying since when.
        """
        return self.deposit_date is None or self.deposit_date <= day


@dataclass(frozen=True)
class StateParty:
    iso3: str
    name: str
    regional_group: str | None
    legal_system: str | None
    instruments: dict[Instrument, PartyStatus]
    uncac: PartyStatus | None

    def party_to(self, instrument: Instrument, day: dt.date) -> bool:
        status = self.instruments.get(instrument)
        return status is not None and status.party_on(day)

    def party_to_uncac(self, day: dt.date) -> bool:
        return self.uncac is not None and self.uncac.party_on(day)

    @property
    def legal_traditions(self) -> tuple[str, ...]:
        """Legal traditions in the order the classification lists them.

        `mixed:common_law+customary` gives `("common_law", "customary")`;
        an entity without a classification gives an empty tuple.
        """
        if not self.legal_system:
            return ()
        return tuple(self.legal_system.removeprefix("mixed:").split("+"))


def _parse_party_cell(value: str, *, iso3: str, column: str) -> PartyStatus | None:
    value = value.strip()
    if not value:
        return None
    if value == "yes":
        return PartyStatus(deposit_date=None)
    try:
        return PartyStatus(deposit_date=dt.date.fromisoformat(value))
    except ValueError as error:
        raise ValueError(
            f"states.csv: invalid date {value!r} for {iso3} in column {column!r}"
        ) from error


def parse_states(rows: list[dict[str, str]]) -> dict[str, StateParty]:
    """Build the registry from rows shaped like `states.csv`."""
    states: dict[str, StateParty] = {}
    for row in rows:
        iso3 = row["iso3"].strip().upper()
        instruments = {}
        for instrument, column in _INSTRUMENT_COLUMNS.items():
            status = _parse_party_cell(row[column], iso3=iso3, column=column)
            if status is not None:
                instruments[instrument] = status
        states[iso3] = StateParty(
            iso3=iso3,
            name=row["name"].strip(),
            regional_group=row["regional_group"].strip() or None,
            legal_system=row["legal_system"].strip() or None,
            instruments=instruments,
            uncac=_parse_party_cell(row[_UNCAC_COLUMN], iso3=iso3, column="uncac"),
        )
    return states


@cache
def load_states() -> dict[str, StateParty]:
    """Return the shipped registry, keyed by ISO 3166-1 alpha-3 code."""
    text = (
        resources.files(__package__)
        .joinpath("data", "states.csv")
        .read_text(encoding="utf-8")
    )
    return parse_states(list(csv.DictReader(text.splitlines())))
