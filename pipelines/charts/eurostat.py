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
LEVEL = 0.05  # a change under 5% between the first and last year reads as level
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
    title = trend_title(place, rows, headline_measure(rows, measures))
    subtitle = style.fitted_subtitle(
        [
            "Third-country nationals of all citizenships, per calendar year, as reported to Eurostat.",
            *(f"{style.capitalised(SERIES[m][1])}: {wording.measure_definition(m, 'migrants', short=True)}"
              for m in measures),
        ]
    )  # fmt: skip
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


def headline_measure(rows: list[dict], measures: list[str]) -> str:
    """The series a title speaks of: the one with the most years, the first in SERIES order among equals."""
    return max(measures, key=lambda measure: (sum(row["measure"] == measure for row in rows), -measures.index(measure)))


def trend_title(place: str, rows: list[dict], measure: str) -> str:
    """The finding of the headline series: how it changed from its first to its last year, and its peak when
    that lies between them."""
    series = sorted((row["year"], row["value"]) for row in rows if row["measure"] == measure)
    (first_year, first), (last_year, last) = series[0], series[-1]
    what = f"third-country nationals {SERIES[measure][1]}"
    if first_year == last_year:
        return f"{place}, {first_year}: {style.thousands(first)} {what}"
    change = (last - first) / first if first else 1.0
    trend = "stayed about level at" if abs(change) < LEVEL else "rose from" if change > 0 else "fell from"
    title = f"{place}, {first_year}–{last_year}: {what} {trend} {style.thousands(first)}"
    title += "" if abs(change) < LEVEL else f" to {style.thousands(last)}"
    peak_year, peak = max(series, key=lambda point: point[1])
    if peak_year not in (first_year, last_year) and peak > max(first, last) * (1 + LEVEL):
        title += f", peaking at {style.thousands(peak)} in {peak_year}"
    return title
