"""Eurostat enforcement series for one country: found illegally present, ordered to leave, returned, refused entry."""

import duckdb

from pipelines import wording
from pipelines.charts import style
from pipelines.charts.chart import Chart, fetch

# Eurostat datasets and the measures they map to (pipelines/vocabulary/measures.csv), in reading order.
SERIES = {
    "detected_violation": ("migr_eipre", "found illegally present", style.SERIES_COLOURS[5], "o"),
    "ordered_to_leave": ("migr_eiord", "ordered to leave", style.SERIES_COLOURS[1], "s"),
    "returned": ("migr_eirtn", "returned after an order to leave", style.SERIES_COLOURS[2], "D"),
    "refused_entry": ("migr_eirfs", "refused entry at the external border", style.SERIES_COLOURS[0], "^"),
}
# Eurostat's status flags (https://ec.europa.eu/eurostat/data/database/information).
FLAGS = {
    "b": "break in time series", "c": "confidential", "d": "definition differs", "e": "estimated",
    "f": "forecast", "n": "not significant", "p": "provisional", "r": "revised", "s": "Eurostat estimate",
    "u": "low reliability", "z": "not applicable",
}  # fmt: skip
PLOTTED_COLUMNS = [
    "figure_id", "jurisdiction", "year", "measure", "value", "unit", "qualifier", "flags", "source_id",
    "publisher", "source_title", "source_url", "quote", "raw_path", "raw_sha256", "date_accessed",
]  # fmt: skip
PLOT_HEIGHT = 3.3
Y_LABEL_ROOM = 0.45  # inches left of the tick labels for the axis title

ROWS_SQL = """
SELECT o.*, year(o.period_end) AS year FROM observations_cited o JOIN sources s USING (source_id)
WHERE s.kind = 'eurostat' AND o.target_group = 'migrants' AND o.subdivision IS NULL
  AND list_contains(?, o.measure)
  AND month(o.period_start) = 1 AND day(o.period_start) = 1 AND month(o.period_end) = 12 AND day(o.period_end) = 31
  AND year(o.period_start) = year(o.period_end)
ORDER BY o.jurisdiction, o.measure, o.period_end, o.figure_id
"""


def eurostat_rows(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Calendar-year national figures from Eurostat-kind sources for the four enforcement measures."""
    return fetch(con, ROWS_SQL, [list(SERIES)])


def stem(jurisdiction: str) -> str:
    return f"eurostat_{wording.place_slug(jurisdiction, None)}"


def build_eurostat(jurisdiction: str, rows: list[dict]) -> Chart:
    """One line per measure over the years, flagged values marked and explained."""
    rows = [row for row in rows if row["jurisdiction"] == jurisdiction]
    place = wording.place(jurisdiction, None)
    measures = [measure for measure in SERIES if any(row["measure"] == measure for row in rows)]
    latest = max(row["year"] for row in rows)
    latest_words = [
        f"{style.thousands(row['value'])} {SERIES[row['measure']][1]}"
        for measure in measures
        for row in rows
        if row["measure"] == measure and row["year"] == latest
    ]
    first = min(row["year"] for row in rows)
    title = f"{place}, {first}–{latest}: in {latest}, {_join(latest_words)}"
    subtitle = (
        "Third-country nationals, all citizenships, as reported to Eurostat ("
        + ", ".join(f"{SERIES[m][0]}: {SERIES[m][1]}" for m in measures)
        + "). "
        + ("Detections count events, not unique people. " if "detected_violation" in measures else "")
        + wording.measure_definitions(((measure, "migrants") for measure in measures), short=True)
    )
    flagged = [row for row in rows if row.get("flags")]
    notes = [
        f"{row['year']} {SERIES[row['measure']][1]}: "
        + ", ".join(f"{flag} = {FLAGS.get(flag, 'Eurostat flag')}" for flag in row["flags"] if flag.isalpha())
        + "."
        for row in flagged
    ]
    if flagged:
        notes.insert(0, "Hollow points carry a Eurostat flag:")
    footer = [style.source_line(rows), style.note_line(notes)]

    def draw():
        legend = tuple(style.Key(style.capitalised(SERIES[m][1]), SERIES[m][2], "line", SERIES[m][3]) for m in measures)
        top = max(row["value"] for row in rows) * 1.1
        left = style.label_width([style.thousands(top)]) + Y_LABEL_ROOM
        fig, ax = style.frame(
            style.Header(title, subtitle, (), legend),
            footer,
            PLOT_HEIGHT,
            style.Margins(left=left, right=0.3, below=0.55),
        )
        for measure in measures:
            _, _, colour, marker = SERIES[measure]
            series = [row for row in rows if row["measure"] == measure]
            ax.plot([row["year"] for row in series], [row["value"] for row in series], color=colour, linewidth=1.8)
            for row in series:
                ax.plot(
                    [row["year"]], [row["value"]], marker=marker, color=colour, markersize=5.5, linestyle="none",
                    markerfacecolor="white" if row.get("flags") else colour, markeredgewidth=1.3,
                )  # fmt: skip
        years = sorted({row["year"] for row in rows})
        step = 1 if len(years) <= 10 else 2 if len(years) <= 20 else 5
        ax.set_xticks(list(range(years[0], years[-1] + 1, step)))
        ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        ax.set_ylim(0, top)
        style.thousands_axis(ax.yaxis)
        ax.xaxis.set_major_formatter(lambda value, _: str(int(value)))
        ax.set_ylabel("Persons (third-country nationals)")
        ax.set_xlabel("Calendar year")
        ax.grid(axis="y", color=style.GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        return fig

    figure_ids = [row["figure_id"] for row in rows]
    plotted = [{column: row.get(column) for column in PLOTTED_COLUMNS} for row in rows]
    return Chart(stem(jurisdiction), title, subtitle, notes, footer[0], figure_ids, PLOTTED_COLUMNS, plotted, draw)


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
