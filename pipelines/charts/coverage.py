"""The coverage matrix: which jurisdiction-years have figures on migrants, on employers, or on both."""

import duckdb

from pipelines import wording
from pipelines.charts import style
from pipelines.charts.chart import Chart, fetch

STEM = "coverage_matrix"
PLOTTED_COLUMNS = [
    "jurisdiction", "year", "coverage", "official", "migrants_figures", "employers_figures", "migrants_official",
    "employers_official", "comparable_pairs", "source_ids", "figure_ids",
]  # fmt: skip
CATEGORY_COLOURS = {
    "migrants only": style.GROUP_COLOURS["migrants"],
    "employers only": style.GROUP_COLOURS["employers"],
    "both": style.BOTH_COLOUR,
}
ROW_HEIGHT = 0.26
PALE = 0.35  # share of the full colour in the tone of a cell with a side that has no official figure
HATCH = "////"
NOT_OFFICIAL_KEY = "pale, hatched: a side with no official figure (NGOs, press, other sources)"

# A figure belongs to the calendar year in which its period ends (US fiscal year 2018 → 2018; an operation
# reported in March 2023 → 2023). Subnational figures count for their country.
CELLS_SQL = """
WITH figures AS (
    SELECT jurisdiction, year(period_end) AS year, target_group, figure_id, source_id,
           coalesce(t.official, 'no') = 'yes' AS official
    FROM observations LEFT JOIN source_types t USING (source_type)
), pairs AS (
    SELECT jurisdiction, year(period_end) AS year, count(*) AS comparable_pairs
    FROM comparisons WHERE ratio IS NOT NULL GROUP BY ALL
)
SELECT jurisdiction, year,
       count(*) FILTER (WHERE target_group = 'migrants') AS migrants_figures,
       count(*) FILTER (WHERE target_group = 'employers') AS employers_figures,
       count(*) FILTER (WHERE target_group = 'migrants' AND official) AS migrants_official,
       count(*) FILTER (WHERE target_group = 'employers' AND official) AS employers_official,
       coalesce(any_value(pairs.comparable_pairs), 0) AS comparable_pairs,
       string_agg(DISTINCT source_id, ';' ORDER BY source_id) AS source_ids,
       string_agg(figure_id, ';' ORDER BY figure_id) AS figure_ids
FROM figures LEFT JOIN pairs USING (jurisdiction, year)
GROUP BY jurisdiction, year ORDER BY jurisdiction, year
"""


def coverage_cells(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """One row per jurisdiction-year with any figure: how many on each side (and how many of them official, by
    `source_types.official`), and how many comparable pairs.

    `official` is `all` when every side with figures has an official one, `none` when no figure is official,
    else `partly` (one side rests on other sources only)."""
    cells = fetch(con, CELLS_SQL)
    for cell in cells:
        cell["coverage"] = (
            "both"
            if cell["migrants_figures"] and cell["employers_figures"]
            else "migrants only"
            if cell["migrants_figures"]
            else "employers only"
        )
        sides = [group for group in ("migrants", "employers") if cell[f"{group}_figures"]]
        backed = [group for group in sides if cell[f"{group}_official"]]
        cell["official"] = "all" if backed == sides else "partly" if backed else "none"
    return cells


def build_coverage(con: duckdb.DuckDBPyConnection) -> Chart:
    """A grid of jurisdictions by years, each cell coloured by which side has figures; a dot marks a comparable pair."""
    cells = coverage_cells(con)
    if not cells:
        raise LookupError("no observations in the warehouse")
    places = sorted({cell["jurisdiction"] for cell in cells}, key=lambda code: wording.place(code, None))
    years = list(range(min(cell["year"] for cell in cells), max(cell["year"] for cell in cells) + 1))
    both = sum(cell["coverage"] == "both" for cell in cells)
    paired = sum(cell["comparable_pairs"] > 0 for cell in cells)
    title = (
        f"Only {both} of {len(cells)} jurisdiction-years with published figures cover both migrants and employers; "
        f"{paired} have a like-for-like pair"
    )
    subtitle = (
        "Each cell is a jurisdiction and a calendar year, counted by the year in which a figure's period ends; "
        "national and subnational figures count for their country. The number in a cell is how many figures there "
        "are; a dot in a cell's corner marks a year with at least one migrants-vs-employers pair for exactly the "
        "same period."
    )
    legend = (
        *(style.Key(name, colour) for name, colour in CATEGORY_COLOURS.items()),
        style.Key(NOT_OFFICIAL_KEY, style.MUTED, hatch=HATCH, pale=PALE),
    )
    labels = [wording.place(code, None) for code in places]
    left = style.label_width(labels, 8.5) + 0.25
    plot_width = style.WIDTH - left - 0.3
    plot_height = ROW_HEIGHT * len(places)
    notes = [
        "Coverage counts figures, not their quality or scope; see each figure's qualifier and notes.",
        "A pale, hatched cell has a side (migrants or employers) none of whose figures was published by the "
        "authority itself: they come from intergovernmental bodies, NGOs or researchers, the press or secondary sites.",
    ]
    footer = ["Source: " + _sources_text(con), style.note_line(notes)]

    def draw():
        from matplotlib.patches import Rectangle

        fig, ax = style.frame(
            style.Header(title, subtitle, (), legend),
            footer,
            plot_height,
            style.Margins(left=left, right=0.3, below=0.5),
        )
        rows = {code: len(places) - 1 - index for index, code in enumerate(places)}
        for cell in cells:
            x, y = cell["year"], rows[cell["jurisdiction"]]
            colour = CATEGORY_COLOURS[cell["coverage"]]
            official = cell["official"] == "all"
            fill = colour if official else style.paler(colour, PALE)
            hatch = None if official else HATCH
            ax.add_patch(
                Rectangle(
                    (x - 0.45, y - 0.42), 0.9, 0.84, facecolor=fill, edgecolor=colour, hatch=hatch, linewidth=0,
                    gid=f"cell-{cell['jurisdiction']}-{cell['year']}",
                )
            )  # fmt: skip
            count = cell["migrants_figures"] + cell["employers_figures"]
            ink = style.ink_on(fill)
            if cell["comparable_pairs"]:
                ax.plot([x + 0.32], [y + 0.25], "o", color=ink, markersize=2.6, zorder=4)
            backing = None if official else {"facecolor": fill, "edgecolor": "none", "pad": 0.4}
            ax.text(x, y, str(count), ha="center", va="center", fontsize=6.5, color=ink, bbox=backing)
        ax.set_xlim(years[0] - 0.55, years[-1] + 0.55)
        ax.set_ylim(-0.55, len(places) - 0.45)
        ax.set_yticks(list(rows.values()), labels, fontsize=8.5)
        step = 1 if plot_width / len(years) > 0.42 else 2
        ax.set_xticks(years[::step], [str(year) for year in years[::step]], fontsize=8.5)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xlabel("Year in which the figure's period ends")
        return fig

    plotted = [{column: cell.get(column) for column in PLOTTED_COLUMNS} for cell in cells]
    return Chart(STEM, title, subtitle, notes, footer[0], [], PLOTTED_COLUMNS, plotted, draw)


def _sources_text(con: duckdb.DuckDBPyConnection) -> str:
    """The sources every counted figure came from, by their short attribution, each named once with its licence."""
    sources = fetch(
        con, "SELECT coalesce(nullif(attribution_short, ''), title) AS name, license FROM sources ORDER BY source_id"
    )
    licences: dict[str, list[str]] = {}
    for source in sources:
        named = licences.setdefault(source["name"], [])
        if source["license"] and source["license"] not in named:
            named.append(source["license"])
    return "; ".join(f"{name} ({'; '.join(named)})" if named else name for name, named in licences.items()) + "."
