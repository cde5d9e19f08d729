"""One preferred value per fact: `preferred_observations`, with the alternatives and whether they agree, and
`conflicts`, every pair of figures for one fact that disagree by more than rounding, with both citations.

A fact is a (jurisdiction, subdivision, period_start, period_end, target_group, measure, unit, breakdown) key.
Among the figures reporting it, the preferred one is chosen by, in this order:

1. the source type's precedence (`pipelines/vocabulary/source_types.csv`: official statistics, official,
   intergovernmental, NGO or research, news, secondary, unknown);
2. at equal type, a dataset read by machine from its publisher (Eurostat's API) before a curated sheet row
   that copies it;
3. the most recent publication (a date known only to the month or year counts as its first day);
4. the figure id, so the choice never depends on load order.

Agreement of the preferred value with the others: `single` (no other), `same` (equal values), `rounded`
(equal after the rounding the less precise one shows: 68,100 and 68,134 agree to the hundred) or `conflict`.
Nothing is averaged or dropped: `observations` keeps every row.
"""

from __future__ import annotations

import lazy_loader as lazy

from pipelines.validation.checks import CURATED_KIND

duckdb = lazy.load("duckdb", error_on_import=True)

FACT_KEY = (
    "jurisdiction", "subdivision", "period_start", "period_end", "target_group", "measure", "unit", "breakdown",
)  # fmt: skip

MACROS_SQL = """
-- The rounding a value shows: the largest power of ten dividing it (68100 -> 100); 1 for 0 or a fraction.
CREATE OR REPLACE TEMP MACRO shown_rounding(v) AS
    CASE WHEN v = 0 OR v <> trunc(v) THEN 1
         ELSE list_max([10 ** k FOR k IN range(16) IF v % (10 ** k) = 0]) END;
CREATE OR REPLACE TEMP MACRO agreement_of(a, b) AS
    CASE WHEN a = b THEN 'same'
         WHEN round(a / greatest(shown_rounding(a), shown_rounding(b)))
              = round(b / greatest(shown_rounding(a), shown_rounding(b))) THEN 'rounded'
         ELSE 'conflict' END;
"""

RANKED_SQL = f"""
CREATE OR REPLACE TEMP TABLE ranked_observations AS
WITH typed AS (
    SELECT o.*, t.precedence, coalesce(s.kind, '') = '{CURATED_KIND}' AS curated
    FROM observations o
    JOIN source_types t USING (source_type)
    LEFT JOIN sources s USING (source_id)
)
SELECT *,
       row_number() OVER fact AS choice,
       first_value(figure_id) OVER fact AS preferred_figure_id,
       first_value(value) OVER fact AS preferred_value,
       first_value(precedence) OVER fact AS preferred_precedence,
       first_value(curated) OVER fact AS preferred_curated
FROM typed
WINDOW fact AS (
    PARTITION BY {", ".join(FACT_KEY)}
    ORDER BY precedence, curated, published_date DESC NULLS LAST, figure_id
    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
)
"""

PREFERRED_SQL = """
CREATE TABLE preferred_observations AS
WITH others AS (
    SELECT preferred_figure_id, figure_id, value, source_type, agreement_of(preferred_value, value) AS agreement
    FROM ranked_observations WHERE choice > 1
), grouped AS (
    SELECT preferred_figure_id,
           list({'figure_id': figure_id, 'value': value, 'source_type': source_type, 'agreement': agreement}
                ORDER BY figure_id) AS alternatives,
           CASE WHEN bool_or(agreement = 'conflict') THEN 'conflict'
                WHEN bool_or(agreement = 'rounded') THEN 'rounded' ELSE 'same' END AS agreement
    FROM others GROUP BY preferred_figure_id
)
SELECT o.*, coalesce(g.alternatives, []) AS alternatives, coalesce(g.agreement, 'single') AS agreement
FROM observations o
JOIN ranked_observations r ON r.figure_id = o.figure_id AND r.choice = 1
LEFT JOIN grouped g ON g.preferred_figure_id = o.figure_id
ORDER BY o.jurisdiction, o.subdivision NULLS FIRST, o.period_end, o.period_start NULLS FIRST, o.target_group,
         o.measure, o.unit, o.breakdown NULLS FIRST
"""

CITATION = ("figure_id", "value", "qualifier", "source_type", "publisher", "source_title", "source_url", "quote")

CONFLICTS_SQL = f"""
CREATE TABLE conflicts AS
SELECT {", ".join(f"p.{column}" for column in FACT_KEY)},
       {", ".join(f"p.{column} AS preferred_{column}" for column in CITATION)},
       {", ".join(f"a.{column} AS other_{column}" for column in CITATION)},
       CASE WHEN a.precedence > a.preferred_precedence THEN 'source_type'
            WHEN a.curated AND NOT a.preferred_curated THEN 'dataset_over_copy'
       END AS resolved_by
FROM ranked_observations a
JOIN observations p ON p.figure_id = a.preferred_figure_id
WHERE a.choice > 1 AND agreement_of(a.preferred_value, a.value) = 'conflict'
ORDER BY p.jurisdiction, p.subdivision NULLS FIRST, p.period_end, p.measure, a.figure_id
"""


def build_preferred(con: duckdb.DuckDBPyConnection) -> None:
    """Create `preferred_observations` and `conflicts` from `observations`, `sources` and `source_types`."""
    con.execute(MACROS_SQL)
    con.execute(RANKED_SQL)
    con.execute(PREFERRED_SQL)
    con.execute(CONFLICTS_SQL)
