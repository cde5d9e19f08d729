"""The validation rules as data: one `Rule` per expectation, grouped into one suite per stage.

A rule is backend-neutral: `pipelines.validation.gx` runs a suite with Great Expectations on a pandas frame,
`pipelines.validation.sql` runs the same suite as DuckDB SQL (for big tables). `expected` is the wording an
analyst reads next to the offending file, row, column and value.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache

import pycountry

from pipelines import vocabulary

# Figures before this date are outside what any source of ours covers: a typo, not history.
EARLIEST_PERIOD = date(1990, 1, 1)
# A publication date as precise as the source gives it: 2025-07-15, 2025-07 or 2025.
PUBLISHED_DATE_PATTERN = r"^\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?$"


class Kind(StrEnum):
    """What a rule tests; each backend knows how to run every kind."""

    COLUMNS = "columns"  # the table has exactly `values` as columns
    MIN_ROWS = "min_rows"  # the table has at least `minimum` rows
    NOT_NULL = "not_null"
    UNIQUE = "unique"
    IN_SET = "in_set"
    PAIR_IN_SET = "pair_in_set"  # (column, other) is one of `values`
    MATCHES = "matches"  # non-null cells match the regular expression `pattern`
    NOT_MATCHES = "not_matches"
    DATE_TEXT = "date_text"  # non-null text cells are real calendar dates in ISO_DATE_FORMAT
    BETWEEN = "between"  # minimum <= cell <= maximum (either bound may be None)
    WHOLE = "whole"  # a whole number
    NOT_AFTER = "not_after"  # cell <= other where both are present
    CODE = "code"  # checked by code written for it (reading a file, comparing sources), not by a backend


@dataclass(frozen=True)
class Rule:
    """One expectation: a kind applied to a column (and maybe a second column), with the analyst's wording."""

    name: str
    kind: Kind
    column: str | None
    expected: str
    other: str | None = None
    values: frozenset | None = None
    pattern: str | None = None
    minimum: object = None
    maximum: object = None
    only_where: tuple[str, frozenset[str]] | None = None  # apply only to rows whose column is in the set


@dataclass(frozen=True)
class Suite:
    """A named list of rules for one stage."""

    name: str
    rules: tuple[Rule, ...]


READABLE = Rule("readable", Kind.CODE, None, "a UTF-8 CSV file with one cell per header column")
ORIGIN = Rule("origin_fields", Kind.CODE, None, "an origin sidecar `<sheet>.meta.yml` with every required field")
SNAPSHOT_INTACT = Rule("snapshot_matches_record", Kind.CODE, None, "snapshot bytes matching the sha256 in its record")


@cache
def jurisdictions() -> frozenset[str]:
    """ISO 3166-1 alpha-3 codes (pycountry's maintained list) and the declared aggregates."""
    return frozenset(country.alpha_3 for country in pycountry.countries) | frozenset(vocabulary.aggregates())


def _measure_units() -> frozenset[tuple[str, str]]:
    counts, money = frozenset(vocabulary.count_units()), vocabulary.currencies()
    return frozenset(
        (measure, unit)
        for measure, group in vocabulary.measures()
        for unit in (money if vocabulary.measures()[(measure, group)].value_kind == "money" else counts)
    )


def _listing(names) -> str:
    return ", ".join(sorted(names))


def _historic_currency_rules() -> tuple[Rule, ...]:
    """One rule per withdrawn ISO 4217 code: a figure stated in it must cover a period ending by its withdrawal."""
    return tuple(
        Rule(
            f"{currency.code}_before_withdrawal",
            Kind.BETWEEN,
            "period_end",
            f"a period ending by {currency.last_valid_day}: {currency.code} ({currency.name}) is a historic "
            f"ISO 4217 code, withdrawn {currency.withdrawn} (ISO 4217 List Three); state later amounts in "
            f"{currency.replaced_by}",
            maximum=currency.last_valid_day,
            only_where=("unit", frozenset({currency.code})),
        )
        for currency in vocabulary.historic_currencies().values()
    )


def sheet_structure_suite(columns: tuple[str, ...]) -> Suite:
    """A figure sheet as a table: exactly the reference columns and at least one figure row."""
    return Suite(
        "sheet_structure",
        (
            Rule(
                "columns", Kind.COLUMNS, None, "the reference header: " + ",".join(columns), values=frozenset(columns)
            ),
            Rule("has_rows", Kind.MIN_ROWS, None, "at least one figure row below the header", minimum=1),
        ),
    )


def sheet_cells_suite(text_columns: tuple[str, ...]) -> Suite:
    """Cells of a curated sheet as typed by people: the formats needed to read them as numbers and dates."""
    formula = "text, not a spreadsheet formula (paste the value instead of the formula)"
    return Suite(
        "sheet_cells",
        (
            Rule(
                "value_digits",
                Kind.MATCHES,
                "value",
                "a non-negative number written with digits only (no thousands separators, no sign)",
                pattern=r"^\d+(?:\.\d+)?$",
            ),
            *(
                Rule(f"{column}_date", Kind.DATE_TEXT, column, "an ISO date YYYY-MM-DD" + suffix)
                for column, suffix in (
                    ("period_start", ", or empty when the start is not stated"),
                    ("period_end", ""),
                )
            ),
            Rule(
                "published_date_iso",
                Kind.MATCHES,
                "published_date",
                "an ISO date YYYY-MM-DD, or YYYY-MM or YYYY when the source gives only the month or year, or empty",
                pattern=PUBLISHED_DATE_PATTERN,
            ),
            *(
                Rule(f"{column}_no_formula", Kind.NOT_MATCHES, column, formula, pattern=r"^\s*=")
                for column in text_columns
            ),
        ),
    )


def observation_suite(today: date, earliest: date = EARLIEST_PERIOD) -> Suite:
    """Every observation of every source (DESIGN §3 schema): vocabulary, periods, values, keys and citations."""
    count_units = frozenset(vocabulary.count_units())
    pairs = frozenset(vocabulary.measures())
    by_group = "; ".join(
        f"{group}: {_listing(m for m, g in pairs if g == group)}" for group in vocabulary.TARGET_GROUPS
    )
    money = _listing({m for (m, _), d in vocabulary.measures().items() if d.value_kind == "money"})
    required = {
        "figure_id": "a figure id",
        "jurisdiction": "the code of the state the figure is about",
        "period_end": "the last day the figure covers",
        "target_group": "migrants or employers",
        "measure": "what was counted",
        "value": "the number",
        "unit": "what the number counts",
        "source_type": "the kind of publisher the figure was read from",
        "quote": "the exact passage the number was read from",
        "source_url": "the address of the document the figure was read in",
    }
    return Suite(
        "observations",
        (
            *(Rule(f"{column}_present", Kind.NOT_NULL, column, wording) for column, wording in required.items()),
            Rule("figure_id_unique", Kind.UNIQUE, "figure_id", "an id used by one row only"),
            Rule(
                "jurisdiction_known",
                Kind.IN_SET,
                "jurisdiction",
                "an ISO 3166-1 alpha-3 code (e.g. KAZ) or one of " + _listing(vocabulary.aggregates()),
                values=jurisdictions(),
            ),
            Rule(
                "target_group_known",
                Kind.IN_SET,
                "target_group",
                "one of " + ", ".join(vocabulary.TARGET_GROUPS),
                values=frozenset(vocabulary.TARGET_GROUPS),
            ),
            Rule(
                "measure_known",
                Kind.PAIR_IN_SET,
                "measure",
                f"a measure defined for this target group in measures.csv ({by_group})",
                other="target_group",
                values=pairs,
            ),
            Rule(
                "unit_fits_measure",
                Kind.PAIR_IN_SET,
                "unit",
                f"a count unit ({_listing(count_units)}) for a count, an ISO 4217 currency code for money ({money})",
                other="measure",
                values=frozenset((unit, measure) for measure, unit in _measure_units()),
            ),
            *_historic_currency_rules(),
            Rule(
                "source_type_known",
                Kind.IN_SET,
                "source_type",
                "one of " + ", ".join(vocabulary.source_types()) + " (see the reference README)",
                values=frozenset(vocabulary.source_types()),
            ),
            Rule(
                "qualifier_known",
                Kind.IN_SET,
                "qualifier",
                "empty (exact) or one of " + ", ".join(vocabulary.QUALIFIERS),
                values=frozenset(vocabulary.QUALIFIERS),
            ),
            Rule("value_non_negative", Kind.BETWEEN, "value", "a number of zero or more", minimum=0),
            Rule(
                "count_is_whole",
                Kind.WHOLE,
                "value",
                "a whole number for a count unit",
                only_where=("unit", count_units),
            ),
            *(
                Rule(
                    f"{column}_plausible",
                    Kind.BETWEEN,
                    column,
                    f"a date from {earliest} to today ({today}): not in the future",
                    minimum=earliest,
                    maximum=today,
                )
                for column in ("period_start", "period_end")
            ),
            Rule(
                "published_not_future",
                Kind.BETWEEN,
                "published_date",
                f"a date not after today ({today})",
                maximum=today.isoformat(),  # ISO text at any precision orders as its date does
            ),
            Rule(
                "period_in_order",
                Kind.NOT_AFTER,
                "period_start",
                "a start on or before period_end",
                other="period_end",
            ),
            Rule(
                "source_url_web",
                Kind.MATCHES,
                "source_url",
                "an http:// or https:// address of the document read",
                pattern=r"^[hH][tT][tT][pP][sS]?://[^\s/]+\S*$",
            ),
        ),
    )
