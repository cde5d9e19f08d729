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
        "consistent_values": (
            "Warning: two figures of the same source type report one fact (place, period, measure, unit, "
            "breakdown) with values that differ by more than rounding. Conflicts settled by precedence are "
            "listed in the conflicts table, not warned about."
        ),
    },
    "comparisons": {"like_with_like": "Warning: a subnational figure compared with a national one."},
}
CONFLICT = Rule(
    "same_figure_same_value",
    Kind.CODE,
    "value",
    "the same value (up to rounding) from every source of the same type reporting the same jurisdiction, "
    "subdivision, period, measure, unit and breakdown",
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

# Conflicts that precedence does not settle: both figures have the same source type (and neither is a copy of
# a dataset read by machine). Those settled by precedence stay in the `conflicts` table, not in the warning.
UNRESOLVED_CONFLICTS_SQL = f"""
SELECT p._file, p._row, p.value, p.qualifier, a._file, a._row, a.value, a.qualifier, a.publisher,
       c.jurisdiction, coalesce(c.subdivision, 'national'), c.period_start, c.period_end, c.measure, c.unit,
       coalesce(c.breakdown, 'whole measure')
FROM conflicts c
JOIN {CHECKED_VIEW} p ON p.figure_id = c.preferred_figure_id
JOIN {CHECKED_VIEW} a ON a.figure_id = c.other_figure_id
WHERE c.resolved_by IS NULL
ORDER BY p._file, try_cast(p._row AS INTEGER), a._file, try_cast(a._row AS INTEGER)
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
            f"{jurisdiction} {area} {start or '…'}..{end} {measure} in {unit} ({breakdown})",
        )
        for a_file, a_row, a_value, a_qualifier, b_file, b_row, b_value, b_qualifier, publisher, jurisdiction, area,
        start, end, measure, unit, breakdown in con.execute(UNRESOLVED_CONFLICTS_SQL).fetchall()
    ]  # fmt: skip
    settled = con.execute("SELECT count(*) FROM conflicts WHERE resolved_by IS NOT NULL").fetchone()[0]
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
            note=(
                "Both figures are kept; say in notes why the sources differ. "
                f"{settled} other conflict(s) settled by source precedence: see the conflicts table."
            ),
        ),
        CheckOutcome(
            dg.AssetKey("comparisons"), "like_with_like", (_code_result(LIKE_WITH_LIKE, mixed),), WARN, blocking=False
        ),
    ]
