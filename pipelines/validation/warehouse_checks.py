"""Checks on the warehouse as it is being built (before it is swapped in), as DuckDB SQL: the observation
suite over every source at once (so figure ids are unique across all sheets), and two consistency warnings."""

from __future__ import annotations

from datetime import date

import dagster as dg
import lazy_loader as lazy

from pipelines.problems import Problem
from pipelines.validation.checks import WARN, CheckOutcome
from pipelines.validation.results import RuleResult
from pipelines.validation.rules import Kind, Rule, observation_suite
from pipelines.validation.sql import PROBLEMS_KEPT, validate_table

duckdb = lazy.load("duckdb", error_on_import=True)

CHECKED_VIEW = "observations_checked"
CHECKS = {
    "observations": {
        "observations_valid": (
            "All sources together meet the observation rules (figure ids unique across every sheet and dataset); "
            "checked in DuckDB before the new warehouse replaces the last good one."
        ),
        "consistent_values": "Warning: the same place, period and measure reported with different values.",
    },
    "comparisons": {"like_with_like": "Warning: a subnational figure compared with a national one."},
}
CONFLICT = Rule(
    "same_figure_same_value",
    Kind.CODE,
    "value",
    "the same value wherever the same jurisdiction, subdivision, period, measure and unit are reported",
)
LIKE_WITH_LIKE = Rule(
    "subnational_not_compared_with_national",
    Kind.CODE,
    "subnational_area",
    "a comparison of figures for the same area (both national or both the same subdivision)",
)

CHECKED_VIEW_SQL = f"""
CREATE OR REPLACE TEMP VIEW {CHECKED_VIEW} AS
SELECT o.*, coalesce(s.raw_path, o.source_id) AS _file,
       coalesce(nullif(regexp_extract(o.locator, ' row (\\d+)$', 1), ''), o.locator) AS _row
FROM observations o LEFT JOIN sources s USING (source_id)
"""

CONFLICTS_SQL = f"""
SELECT a._file, a._row, a.value, a.qualifier, b._file, b._row, b.value, b.qualifier, b.publisher,
       a.jurisdiction, coalesce(a.subdivision, 'national'), a.period_start, a.period_end, a.measure, a.unit
FROM {CHECKED_VIEW} a JOIN {CHECKED_VIEW} b
  ON a.jurisdiction = b.jurisdiction AND a.subdivision IS NOT DISTINCT FROM b.subdivision
 AND a.period_start IS NOT DISTINCT FROM b.period_start AND a.period_end = b.period_end
 AND a.target_group = b.target_group AND a.measure = b.measure AND a.unit = b.unit
 AND a.figure_id < b.figure_id AND a.value <> b.value
 AND (a.source_id <> b.source_id OR a.source_url IS DISTINCT FROM b.source_url)
ORDER BY a._file, try_cast(a._row AS INTEGER), b._file, try_cast(b._row AS INTEGER)
"""

MIXED_AREAS_SQL = f"""
SELECT m._file, m._row, coalesce(m.subdivision, 'national'), e._file, e._row, coalesce(e.subdivision, 'national')
FROM comparisons c
JOIN {CHECKED_VIEW} m ON m.figure_id = c.figure_ids[1]
JOIN {CHECKED_VIEW} e ON e.figure_id = c.figure_ids[2]
WHERE m.subdivision IS DISTINCT FROM e.subdivision
"""


def _code_result(rule: Rule, problems: list[Problem]) -> RuleResult:
    return RuleResult(rule, len(problems), tuple(problems[:PROBLEMS_KEPT]))


def warehouse_checks(con: duckdb.DuckDBPyConnection, today: date | None = None) -> list[CheckOutcome]:
    """Run the warehouse checks on a connection holding `observations`, `sources` and `comparisons`."""
    con.execute(CHECKED_VIEW_SQL)
    suite = observation_suite(today or date.today())
    valid = CheckOutcome(
        dg.AssetKey("observations"), "observations_valid", tuple(validate_table(con, CHECKED_VIEW, suite))
    )
    conflicts = [
        Problem(
            a_file, a_row, "value", f"{a_value:g} ({a_qualifier})",
            f"{CONFLICT.expected}: {b_file} row {b_row} gives {b_value:g} ({b_qualifier}, {publisher}) for "
            f"{jurisdiction} {area} {start or '…'}..{end} {measure} in {unit}",
        )
        for a_file, a_row, a_value, a_qualifier, b_file, b_row, b_value, b_qualifier, publisher, jurisdiction, area,
        start, end, measure, unit in con.execute(CONFLICTS_SQL).fetchall()
    ]  # fmt: skip
    mixed = [
        Problem(m_file, m_row, "subnational_area", m_area, f"{LIKE_WITH_LIKE.expected}; compared with {e_file} "
                f"row {e_row} ({e_area})")
        for m_file, m_row, m_area, e_file, e_row, e_area in con.execute(MIXED_AREAS_SQL).fetchall()
    ]  # fmt: skip
    return [
        valid,
        CheckOutcome(
            dg.AssetKey("observations"),
            "consistent_values",
            (_code_result(CONFLICT, conflicts),),
            severity=WARN,
            blocking=False,
            note="Both figures are kept; say in notes why the sources differ, or prefer the official one.",
        ),
        CheckOutcome(
            dg.AssetKey("comparisons"), "like_with_like", (_code_result(LIKE_WITH_LIKE, mixed),), WARN, blocking=False
        ),
    ]
