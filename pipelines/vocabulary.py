"""The controlled vocabulary: measures, units and jurisdictions, read from the data files beside this module."""

import calendar
import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import pycountry

VOCABULARY_DIR = Path(__file__).parent / "vocabulary"
TARGET_GROUPS = ("migrants", "employers")
QUALIFIERS = ("exact", "approximate", "lower_bound", "upper_bound", "per_unit")
PEOPLE_OR_ORGANISATIONS = ("people", "organisations")
OFFICIAL_STATISTICS = "official_statistics"
UNKNOWN_SOURCE_TYPE = "unknown"


@dataclass(frozen=True)
class Measure:
    """One (measure, target group) pair the pipeline knows, with its wording."""

    measure: str
    target_group: str
    value_kind: str
    label: str
    label_singular: str
    definition: str


def _rows(name: str) -> list[dict[str, str]]:
    with (VOCABULARY_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def measures() -> dict[tuple[str, str], Measure]:
    """Measures keyed by (measure, target_group)."""
    return {(row["measure"], row["target_group"]): Measure(**row) for row in _rows("measures.csv")}


@cache
def count_units() -> dict[str, str]:
    """Count units and what they count (people, organisations, events, documents)."""
    return {row["unit"]: row["counts"] for row in _rows("units.csv")}


@cache
def aggregates() -> dict[str, str]:
    """Declared aggregate jurisdictions (EU27, EU28) and their names."""
    return {row["code"]: row["name"] for row in _rows("aggregates.csv")}


@cache
def source_types() -> dict[str, int]:
    """Source types (what kind of publisher a figure was read from) and their precedence, 1 = preferred."""
    return {row["source_type"]: int(row["precedence"]) for row in _rows("source_types.csv")}


@dataclass(frozen=True)
class HistoricCurrency:
    """An ISO 4217 code withdrawn from use (ISO 4217 List Three), valid only for periods before its withdrawal."""

    code: str
    name: str
    withdrawn: str  # YYYY-MM, as List Three gives it
    replaced_by: str

    @property
    def last_valid_day(self) -> date:
        """The last day a period may end on and still be stated in this currency: the withdrawal month's end."""
        year, month = (int(part) for part in self.withdrawn.split("-"))
        return date(year, month, calendar.monthrange(year, month)[1])


@cache
def historic_currencies() -> dict[str, HistoricCurrency]:
    """Withdrawn ISO 4217 codes still met in older figures (pesetas, marks...), from `historic_currencies.csv`."""
    return {row["code"]: HistoricCurrency(**row) for row in _rows("historic_currencies.csv")}


@cache
def currencies() -> frozenset[str]:
    """ISO 4217 currency codes: pycountry's maintained list of current codes and the historic ones we accept."""
    return frozenset(currency.alpha_3 for currency in pycountry.currencies) | frozenset(historic_currencies())


def jurisdiction_name(code: str) -> str | None:
    """The name of an ISO 3166-1 alpha-3 code or declared aggregate; None if unknown."""
    if code in aggregates():
        return aggregates()[code]
    country = pycountry.countries.get(alpha_3=code) if len(code) == 3 and code.isupper() else None
    return getattr(country, "common_name", None) or getattr(country, "name", None)


def unit_counts(unit: str) -> str:
    """What a unit counts: people, organisations, events, documents, or money for a currency."""
    return "money" if unit in currencies() else count_units().get(unit, "unknown")


def measures_table() -> list[dict[str, str]]:
    """The measure vocabulary as rows, for the warehouse."""
    return _rows("measures.csv")


def units_table() -> list[dict[str, str]]:
    """The count units as rows, for the warehouse."""
    return _rows("units.csv")
