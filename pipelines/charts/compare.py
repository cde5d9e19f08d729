"""Across jurisdictions: the latest comparable period of each country, migrants and employers side by side."""

import duckdb

from pipelines import vocabulary, wording
from pipelines.charts import style
from pipelines.charts.chart import Chart, fetch, pair_figures, plain
from pipelines.charts.headline import PAIR_ORDER, pair_sentence

STEM = "cross_jurisdiction_latest"
PLOTTED_COLUMNS = [
    "jurisdiction", "subdivision", "period_start", "period_end", "migrants_measure", "migrants_value", "migrants_unit",
    "migrants_breakdown", "migrants_qualifier", "migrants_source_type", "employers_measure", "employers_value",
    "employers_unit", "employers_breakdown", "employers_qualifier", "employers_source_type", "ratio", "qualifier",
    "figure_ids",
]  # fmt: skip
LOG_SCALE_RANGE = 100  # largest / smallest plotted value above which the axis is logarithmic
ROW_HEIGHT = 0.62

LATEST_SQL = """
WITH with_ratio AS (SELECT * FROM comparisons WHERE ratio IS NOT NULL AND {where}),
has_national AS (SELECT jurisdiction, bool_or(subdivision IS NULL) AS national FROM with_ratio GROUP BY jurisdiction),
eligible AS (
    SELECT with_ratio.* FROM with_ratio JOIN has_national USING (jurisdiction)
    WHERE subdivision IS NULL OR NOT national
),
latest AS (
    SELECT jurisdiction, max(period_end) AS period_end FROM eligible GROUP BY jurisdiction
)
SELECT * FROM eligible JOIN latest USING (jurisdiction, period_end)
QUALIFY row_number() OVER (
    PARTITION BY jurisdiction ORDER BY period_start NULLS LAST, {pair_order}, subdivision
) = 1
ORDER BY ratio DESC, jurisdiction
"""


def latest_pairs(con: duckdb.DuckDBPyConnection, where: str = "TRUE", parameters: list | None = None) -> list[dict]:
    """For each country, the headline pair of its most recent comparable period among the comparisons matching
    the SQL condition `where` (with its `parameters`; default: all): national figures where the country has a
    national pair, else its subnational ones (the place then names the area).

    'Most recent' is the latest period end; among periods ending that day the longest (earliest start) wins.
    """
    return fetch(con, LATEST_SQL.format(where=where, pair_order=PAIR_ORDER), parameters)


def build_cross_jurisdiction(con: duckdb.DuckDBPyConnection, pairs: list[dict] | None = None) -> Chart:
    """A dot for each side per country, joined by a line, the ratio written beside it (for `pairs`, by default
    every country's latest pair)."""
    pairs = latest_pairs(con) if pairs is None else pairs
    if not pairs:
        raise LookupError("no migrants-vs-employers pair with a ratio in the warehouse")
    above = sum(pair["ratio"] > 1 for pair in pairs)
    low, high = min(pair["ratio"] for pair in pairs), max(pair["ratio"] for pair in pairs)
    title = (
        f"In {above} of {len(pairs)} countries, the latest comparable figures count more migrants than employers "
        f"(from {wording.number(low)} to {wording.number(high)} for each employer)"
    )
    subtitle = (
        "For each country, the most recent period with a migrants-side and an employers-side figure for exactly the "
        "same period (a region's figures only where the country has no national pair). Measures and periods differ "
        "between countries: read each row's label before comparing. Round brackets name the part a figure counts "
        "when not the whole; [news], [secondary]… mark a figure that is not official."
    )
    labels = [
        f"{wording.place(pair['jurisdiction'], pair['subdivision'])}, "
        f"{wording.period(pair['period_start'], pair['period_end'])}\n"
        f"{_measures(pair)}"
        for pair in pairs
    ]
    ratio_texts = [f" {ratio_text(pair)}" for pair in pairs]
    notes = [
        f"{wording.place(p['jurisdiction'], p['subdivision'])}: {pair_sentence(p)}."
        for p in pairs
        if p["qualifier"] != "exact"
    ]
    if any(pair["period_start"] is None for pair in pairs):
        notes.append("A period with no start date is one enforcement operation whose start is not stated.")
    figure_ids, rows = pair_figures(con, pairs)
    footer = [style.source_line(rows), style.note_line(notes)]

    draw = dumbbell(title, subtitle, labels, pairs, ratio_texts, footer)
    plotted = [{column: plain(pair.get(column)) for column in PLOTTED_COLUMNS} for pair in pairs]
    return Chart(STEM, title, subtitle, notes, footer[0], figure_ids, PLOTTED_COLUMNS, plotted, draw)


def dumbbell(title: str, subtitle: str, labels: list[str], pairs: list[dict], ratio_texts: list[str], footer: list):
    """How to draw one row per pair: a dot for each side joined by a line, the row's label on the left and its
    ratio on the right; the value axis logarithmic when the values span more than LOG_SCALE_RANGE."""
    values = [pair[side] for pair in pairs for side in ("migrants_value", "employers_value")]
    log_scale = max(values) / max(min(values), 1) > LOG_SCALE_RANGE

    def draw():
        header = style.Header(
            title, subtitle, (),
            (style.Key("migrants-side figure", style.GROUP_COLOURS["migrants"], "marker"),
             style.Key("employers-side figure", style.GROUP_COLOURS["employers"], "marker")),
        )  # fmt: skip
        left = min(style.label_width(labels, 8.5) + 0.25, style.WIDTH * 0.5)
        wrapped = ["\n".join(style.wrap(label, 8.5, left - 0.25)) for label in labels]
        right = style.text_width(max(ratio_texts, key=len), style.LABEL_SIZE) + 0.35
        rows = sum(label.count("\n") + 1 for label in wrapped) / 2
        fig, ax = style.frame(
            header, footer, ROW_HEIGHT * max(len(pairs), rows) + 0.2, style.Margins(left=left, right=right, below=0.55)
        )
        positions = list(range(len(pairs)))[::-1]
        for position, pair, text in zip(positions, pairs, ratio_texts, strict=True):
            ax.plot(
                [pair["employers_value"], pair["migrants_value"]],
                [position] * 2,
                color=style.GRID,
                linewidth=3,
                zorder=1,
            )
            ax.plot(
                [pair["migrants_value"]], [position], "o", color=style.GROUP_COLOURS["migrants"], markersize=8, zorder=2
            )
            ax.plot(
                [pair["employers_value"]],
                [position],
                "o",
                color=style.GROUP_COLOURS["employers"],
                markersize=8,
                zorder=2,
            )
            ax.annotate(
                text, (1.0, position), xycoords=("axes fraction", "data"), va="center", ha="left",
                fontsize=style.LABEL_SIZE, color=style.INK, annotation_clip=False,
            )  # fmt: skip
        ax.set_yticks(positions, wrapped, fontsize=8.5)
        ax.set_ylim(-0.6, len(pairs) - 0.4)
        if log_scale:
            style.log_axis(ax, "x", min(values) / 1.6, max(values) * 1.6)
        else:
            ax.set_xlim(0, max(values) * 1.08)
            style.thousands_axis(ax.xaxis)
        ax.set_xlabel("Number counted by the source" + (" (log scale)" if log_scale else ""))
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color=style.GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        return fig

    return draw


def side_label(pair: dict, group: str, with_breakdown: bool = False, every_type: bool = False) -> str:
    """'employers fined (found working illegally) [news]': a side's measure, its breakdown if asked, and its
    source type where it is not official (or always, with `every_type`)."""
    label = vocabulary.measures()[(pair[f"{group}_measure"], group)].label
    breakdown = pair.get(f"{group}_breakdown") if with_breakdown else None
    source_type = pair.get(f"{group}_source_type") or "unknown"
    shown = every_type or source_type in style.NOT_OFFICIAL
    return label + (f" ({breakdown})" if breakdown else "") + (f" [{source_type.replace('_', ' ')}]" if shown else "")


def _measures(pair: dict) -> str:
    sides = [side_label(pair, group, with_breakdown=True) for group in ("migrants", "employers")]
    return " vs ".join(sides)


def ratio_text(pair: dict) -> str:
    """'≥ 76 : 1': the ratio with its qualifier's sign."""
    prefix = {"lower_bound": "≥ ", "upper_bound": "≤ ", "approximate": "~ ", "indeterminate": "~ "}
    return f"{prefix.get(pair['qualifier'], '')}{wording.number(pair['ratio'])} : 1"
