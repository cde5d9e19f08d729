"""Europe compared: for each European state with a pair, its latest year, migrants side against employers side.

The migrants-side figure comes from the same document as the employer figure where there is one (labour
inspectorates report the illegally employed foreigners they found), else it is Eurostat's count of
third-country nationals found illegally present (`migr_eipre`) for that state and year.
"""

import duckdb

from pipelines import vocabulary, wording
from pipelines.charts import style
from pipelines.charts.chart import Chart, fetch, pair_figures, plain
from pipelines.charts.compare import dumbbell, ratio_text, side_label

STEM = "europe_latest"
PLOTTED_COLUMNS = [
    "jurisdiction", "eu_member", "period_start", "period_end", "migrants_measure", "migrants_value",
    "migrants_breakdown", "migrants_source_type", "employers_measure", "employers_value", "employers_unit",
    "employers_breakdown", "employers_source_type", "same_document", "ratio", "qualifier", "scope_note", "figure_ids",
]  # fmt: skip

# Among a state's pairs of its latest year: the longest period first (a year before one operation), then a
# migrants figure from the employer figure's own document, then the employer figure of the strongest source
# type, then one whose scope is not wider than foreign workers.
LATEST_SQL = """
WITH pairs AS (
    SELECT c.*, m.source_url = e.source_url AS same_document, t.precedence AS employers_precedence
    FROM comparisons c
    JOIN preferred_observations m ON m.figure_id = c.figure_ids[1]
    JOIN preferred_observations e ON e.figure_id = c.figure_ids[2]
    JOIN source_types t ON t.source_type = c.employers_source_type
    WHERE c.ratio IS NOT NULL AND c.subdivision IS NULL AND list_contains(?, c.jurisdiction)
      AND (m.source_url = e.source_url
           OR (m.source_id = 'eurostat_migr_eipre' AND c.migrants_breakdown IS NULL)
           OR (m.figure_id LIKE 'EUR-EIPRE-%' AND c.migrants_breakdown IS NULL))
)
SELECT * FROM pairs
QUALIFY row_number() OVER (
    PARTITION BY jurisdiction
    ORDER BY year(period_end) DESC, period_end - coalesce(period_start, period_end) DESC, same_document DESC,
             employers_precedence, scope_note IS NOT NULL,
             period_start NULLS LAST, employers_measure, figure_ids
) = 1
ORDER BY ratio DESC, jurisdiction
"""


def europe_pairs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """One pair per European state (national figures, with a ratio): its latest, as LATEST_SQL chooses."""
    states = vocabulary.european_states()
    pairs = fetch(con, LATEST_SQL, [sorted(states)])
    for pair in pairs:
        pair["eu_member"] = states[pair["jurisdiction"]]
    return pairs


def build_europe(con: duckdb.DuckDBPyConnection) -> Chart:
    """A dot for each side per European state, joined by a line; the label says what each side counts."""
    pairs = europe_pairs(con)
    if not pairs:
        raise LookupError("no European state has a national migrants-vs-employers pair with a ratio")
    eu = sum(pair["eu_member"] for pair in pairs)
    title = f"Europe: the latest migrants-side and employer-side figures of {len(pairs)} states ({eu} in the EU)"
    subtitle = (
        "For each state, its latest period with both sides: the migrants-side figure from the same document as "
        "the employer figure where there is one, else Eurostat's third-country nationals found illegally present "
        "(migr_eipre). Each label names both measures, the part of the population each counts and its source type."
    )
    labels = [f"{wording.place(pair['jurisdiction'], None)}, {_period(pair)}\n{_sides(pair)}" for pair in pairs]
    ratio_texts = [f" {ratio_text(pair)}" for pair in pairs]
    notes = [
        f"{wording.place(pair['jurisdiction'], None)}: {pair['scope_note']}." for pair in pairs if pair["scope_note"]
    ]
    figure_ids, rows = pair_figures(con, pairs)
    footer = [style.source_line(rows), style.note_line(notes)]
    draw = dumbbell(title, subtitle, labels, pairs, ratio_texts, footer)
    plotted = [{column: plain(pair.get(column)) for column in PLOTTED_COLUMNS} for pair in pairs]
    return Chart(STEM, title, subtitle, notes, footer[0], figure_ids, PLOTTED_COLUMNS, plotted, draw)


def _period(pair: dict) -> str:
    return wording.period(pair["period_start"], pair["period_end"])


def _sides(pair: dict) -> str:
    same = "; same document" if pair["same_document"] else ""
    sides = [side_label(pair, group, with_breakdown=True, every_type=True) for group in ("migrants", "employers")]
    return " vs ".join(sides) + same
