"""The enforcement ratio over time: for one place, every comparable period's migrants-per-employer ratio."""

from datetime import date

import duckdb

from pipelines import vocabulary, wording
from pipelines.charts import style
from pipelines.charts.chart import Chart, fetch, pair_figures, plain
from pipelines.charts.headline import PAIR_ORDER

PLOTTED_COLUMNS = [
    "jurisdiction", "subdivision", "period_start", "period_end", "series", "ratio", "qualifier",
    "migrants_measure", "migrants_value", "migrants_unit", "migrants_qualifier",
    "employers_measure", "employers_value", "employers_unit", "employers_qualifier", "figure_ids",
]  # fmt: skip
LOG_SCALE_RANGE = 20  # largest / smallest ratio above which the axis is logarithmic
PLOT_HEIGHT = 3.4


def ratio_places(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    """Places (jurisdiction, subdivision) with a ratio for two or more distinct periods."""
    return con.execute(
        "SELECT jurisdiction, subdivision FROM comparisons WHERE ratio IS NOT NULL GROUP BY ALL"
        " HAVING count(DISTINCT (period_start, period_end)) >= 2 ORDER BY jurisdiction, subdivision NULLS FIRST"
    ).fetchall()


def series_label(migrants_measure: str, employers_measure: str) -> str:
    """'foreigners arrested per employer held liable'."""
    migrants = vocabulary.measures()[(migrants_measure, "migrants")].label
    employers = vocabulary.measures()[(employers_measure, "employers")].label_singular
    return f"{migrants} per {employers}"


def _style(index: int) -> tuple[str, str]:
    """Colour and marker of the index-th series; combinations do not repeat before 36 series."""
    colours, markers = style.SERIES_COLOURS, style.SERIES_MARKERS
    return colours[index % len(colours)], markers[(index + index // len(colours)) % len(markers)]


def stem(jurisdiction: str, subdivision: str | None) -> str:
    return f"ratio_over_time_{wording.place_slug(jurisdiction, subdivision)}"


def build_ratio_over_time(con: duckdb.DuckDBPyConnection, jurisdiction: str, subdivision: str | None) -> Chart:
    """Each comparable pair as a point at the end of its period and a line across the period it covers."""
    pairs = fetch(
        con,
        "SELECT * FROM comparisons WHERE jurisdiction = ? AND subdivision IS NOT DISTINCT FROM ? AND ratio IS NOT NULL"
        f" QUALIFY row_number() OVER (PARTITION BY period_start, period_end ORDER BY {PAIR_ORDER}) = 1"
        " ORDER BY period_end, period_start NULLS FIRST",
        [jurisdiction, subdivision],
    )
    for pair in pairs:
        pair["series"] = series_label(pair["migrants_measure"], pair["employers_measure"])
    series = list(dict.fromkeys(pair["series"] for pair in pairs))
    ratios = [pair["ratio"] for pair in pairs]
    periods = {(pair["period_start"], pair["period_end"]) for pair in pairs}
    place = wording.place(jurisdiction, subdivision)
    first, last = (
        min(p["period_start"] or p["period_end"] for p in pairs).year,
        max(p["period_end"] for p in pairs).year,
    )
    span = str(first) if first == last else f"{first}–{last}"
    below_one = sum(ratio < 1 for ratio in ratios)
    title = (
        f"{place}, {span}: from {wording.number(min(ratios))} to {wording.number(max(ratios))} migrants counted "
        f"for every employer, across {len(periods)} periods"
    )
    if below_one:
        title += f" (employers outnumbered migrants in {below_one} of {len(ratios)} comparisons)"
    subtitle = style.fitted_subtitle(
        [
            "Each point is a period's largest migrants-side figure divided by an employers-side figure for the same "
            "period; the line under it spans the period. Measures differ between periods: not one yearly series.",
            *wording.measure_sentences(
                [(p["migrants_measure"], "migrants") for p in pairs]
                + [(p["employers_measure"], "employers") for p in pairs],
                short=True,
            ),
        ]
    )
    notes = []
    if any(pair["qualifier"] != "exact" for pair in pairs):
        notes.append("Hollow points are approximate ratios or bounds (see the qualifier column of the data).")
    if subdivision:
        notes.append(f"Figures cover {subdivision} only, not the whole country.")
    if any(pair["period_start"] is None for pair in pairs):
        notes.append("Points without a line are operations whose start date is not stated.")
    figure_ids, rows = pair_figures(con, pairs)
    footer = [style.source_line(rows), style.note_line(notes)]

    def draw():
        legend = tuple(
            style.Key(style.capitalised(name), _style(index)[0], "line", _style(index)[1])
            for index, name in enumerate(series)
        )
        header = style.Header(title, subtitle, (), legend)
        log_scale = max(ratios) / min(ratios) > LOG_SCALE_RANGE
        fig, ax = style.frame(header, footer, PLOT_HEIGHT, style.Margins(left=0.85, right=0.35, below=0.55))
        point_labels = []
        for pair in pairs:
            index = series.index(pair["series"])
            colour, marker = _style(index)
            if pair["period_start"] is not None and pair["period_start"] != pair["period_end"]:
                ax.plot(
                    [pair["period_start"], pair["period_end"]],
                    [pair["ratio"]] * 2,
                    color=colour,
                    linewidth=2,
                    alpha=0.6,
                )
            exact = pair["qualifier"] == "exact"
            ax.plot(
                [pair["period_end"]], [pair["ratio"]], marker=marker, markersize=7, color=colour,
                markerfacecolor=colour if exact else "white", markeredgewidth=1.5, linestyle="none",
            )  # fmt: skip
            point_labels.append(
                ax.annotate(
                    wording.number(pair["ratio"]),
                    (pair["period_end"], pair["ratio"]),
                    xytext=(6, 4),
                    textcoords="offset points",
                    fontsize=8,
                    color=style.INK,
                )
            )
        _year_axis(ax, [p["period_start"] for p in pairs if p["period_start"]] + [p["period_end"] for p in pairs])
        if log_scale:
            style.log_axis(ax, "y", min(ratios) / 1.5, max(ratios) * 1.5)
        else:
            ax.set_ylim(0, max(ratios) * 1.15)
        low, high = ax.get_ylim()
        if low <= 1 <= high and (log_scale or min(ratios) < 3):  # on a linear axis far above 1 it only clutters
            ax.axhline(1, color=style.MUTED, linewidth=0.8, linestyle="--")
            ax.text(
                ax.get_xlim()[0],
                1,
                " as many employers as migrants",
                va="bottom",
                ha="left",
                fontsize=8,
                color=style.MUTED,
            )
        style.thousands_axis(ax.yaxis)
        ax.set_ylabel("Migrants counted per employer (ratio)" + (", log scale" if log_scale else ""))
        ax.set_xlabel("End of the period each figure covers")
        ax.grid(axis="y", color=style.GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        style.drop_if_crowded(fig, point_labels)
        return fig

    plotted = [{column: plain(pair.get(column)) for column in PLOTTED_COLUMNS} for pair in pairs]
    return Chart(
        stem(jurisdiction, subdivision), title, subtitle, notes, footer[0], figure_ids, PLOTTED_COLUMNS, plotted, draw
    )


def _year_axis(ax, dates: list[date]) -> None:
    """Yearly ticks (every second or fifth year over long spans) with a little room at both ends."""
    import matplotlib.dates as mdates

    first, last = min(dates), max(dates)
    years = last.year - first.year + 1
    step = 1 if years <= 8 else 2 if years <= 16 else 5
    ax.set_xlim(date(first.year, 1, 1), date(last.year + 1, 1, 1))
    ax.xaxis.set_major_locator(mdates.YearLocator(step))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
