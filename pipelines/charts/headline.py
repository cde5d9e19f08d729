"""The headline chart: for one place and period, enforcement against migrants next to employers."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import duckdb

from pipelines import vocabulary, wording
from pipelines.charts import style
from pipelines.charts.chart import Chart, cited_rows, fetch

PLOTTED_COLUMNS = [
    "figure_id", "jurisdiction", "subdivision", "period_start", "period_end", "target_group", "measure", "label",
    "value", "unit", "breakdown", "qualifier", "publisher", "source_title", "source_url", "published_date", "quote",
    "source_id", "raw_path", "raw_sha256", "date_accessed",
]  # fmt: skip
BAR_HEIGHT = 0.55  # inches per bar, at least
LABEL_WIDTH = 3.2  # inches: a bar label longer than this wraps


@dataclass(frozen=True)
class ComparisonKey:
    """Which place and period a headline chart is about."""

    jurisdiction: str
    subdivision: str | None
    period_start: date | None
    period_end: date

    @property
    def stem(self) -> str:
        return f"headline_{wording.place_slug(self.jurisdiction, self.subdivision)}_{self.period_slug}"

    @property
    def period_slug(self) -> str:
        return wording.period_slug(self.period_start, self.period_end)


KEY_WHERE = (
    "jurisdiction = ? AND subdivision IS NOT DISTINCT FROM ? AND period_start IS NOT DISTINCT FROM ? AND period_end = ?"
)
# The headline pair: a ratio that is exact or bounded on one side before one of two bounds ('indeterminate'),
# then the largest migrants-side figure against the smallest employers-side one.
PAIR_ORDER = (
    "qualifier = 'indeterminate', migrants_value DESC, employers_value, migrants_measure, employers_measure, figure_ids"
)


def comparable_keys(con: duckdb.DuckDBPyConnection) -> list[ComparisonKey]:
    """Every place and period with at least one migrants-vs-employers pair that has a ratio."""
    rows = con.execute(
        "SELECT DISTINCT jurisdiction, subdivision, period_start, period_end FROM comparisons WHERE ratio IS NOT NULL"
        " ORDER BY jurisdiction, subdivision NULLS FIRST, period_end, period_start NULLS FIRST"
    ).fetchall()
    return [ComparisonKey(*row) for row in rows]


def _pairs_by_key(con: duckdb.DuckDBPyConnection) -> dict[ComparisonKey, list[dict]]:
    """The pairs with a ratio for every place and period, the headline pair (largest migrants figure) first."""
    pairs: dict[ComparisonKey, list[dict]] = {}
    for pair in fetch(con, f"SELECT * FROM comparisons WHERE ratio IS NOT NULL ORDER BY {PAIR_ORDER}"):
        key = ComparisonKey(pair["jurisdiction"], pair["subdivision"], pair["period_start"], pair["period_end"])
        pairs.setdefault(key, []).append(pair)
    return pairs


def pair_sentence(pair: dict) -> str:
    """'76 foreigners arrested for every employer held liable (136,000 against 1,800)', then the part each side
    counts when it is not the whole ('; migrants side: found working illegally')."""
    sentence = wording.ratio_sentence(
        pair["ratio"], pair["qualifier"], pair["migrants_measure"], pair["employers_measure"]
    )
    parts = [
        f"; {group} side: {pair[f'{group}_breakdown']}"
        for group in ("migrants", "employers")
        if pair.get(f"{group}_breakdown")
    ]
    values = f"{style.thousands(pair['migrants_value'])} against {style.thousands(pair['employers_value'])}"
    return f"{sentence} ({values}{''.join(parts)})"


def qualifier_notes(key_subdivision: str | None, period_start: date | None, rows: list[dict]) -> list[str]:
    """Notes for lower bounds, approximations, subnational areas and operations, in words."""
    notes = [
        f"{style.capitalised(row['label'])} ({style.thousands(row['value'])}) "
        f"{style.QUALIFIER_NOTES[row['qualifier']]}."
        for row in rows
        if row["qualifier"] in style.QUALIFIER_NOTES
    ]
    if key_subdivision:
        notes.append(f"Figures cover {key_subdivision} only, not the whole country.")
    if period_start is None:
        notes.append("Figures cover one enforcement operation whose start date is not stated, not a year.")
    return notes


def build_headline(con: duckdb.DuckDBPyConnection, key: ComparisonKey) -> Chart:
    """The headline comparison for `key`: every figure in a comparable pair as a bar, the ratios in words."""
    return next(headline_charts(con, [key]))


def headline_charts(con: duckdb.DuckDBPyConnection, keys: list[ComparisonKey]) -> Iterator[Chart]:
    """The headline chart of each key, in order, from one query for the pairs and one for the figures of all."""
    pairs_of = _pairs_by_key(con)
    wanted = [figure for key in keys for pair in pairs_of.get(key, []) for figure in pair["figure_ids"]]
    cited = {row["figure_id"]: row for row in cited_rows(con, list(dict.fromkeys(wanted)))}
    for key in keys:
        yield _headline(key, pairs_of.get(key, []), cited)


def _headline(key: ComparisonKey, pairs: list[dict], cited_by_id: dict[str, dict]) -> Chart:
    if not pairs:
        raise LookupError(f"no comparable migrants-vs-employers pair in the warehouse for {key}")
    figure_ids = list(dict.fromkeys(figure for pair in pairs for figure in pair["figure_ids"]))
    cited = [dict(cited_by_id[figure]) for figure in figure_ids if figure in cited_by_id]
    rows = sorted(cited, key=lambda r: (r["target_group"] != "migrants", -r["value"], r["figure_id"]))
    for row in rows:
        row["label"] = vocabulary.measures()[(row["measure"], row["target_group"])].label
    sentences = list(dict.fromkeys(style.capitalised(pair_sentence(pair)) for pair in pairs))
    lead = wording.ratio_sentence(
        pairs[0]["ratio"], pairs[0]["qualifier"], pairs[0]["migrants_measure"], pairs[0]["employers_measure"]
    )
    place = wording.place(key.jurisdiction, key.subdivision)
    title = f"{place}, {wording.period(key.period_start, key.period_end)}: {lead}"
    subtitle = style.fitted_subtitle(
        wording.measure_sentences(((row["measure"], row["target_group"]) for row in rows), short=True)
    )
    notes = qualifier_notes(key.subdivision, key.period_start, rows)
    if any(pair["qualifier"] == "indeterminate" for pair in pairs):
        notes.append("A ratio of two figures that are both bounds ('roughly') could be higher or lower.")
    footer = [style.source_line(rows), style.note_line(notes)]

    def draw():
        labels = _bar_labels(rows)
        header = style.Header(
            title, subtitle, tuple(sentences),
            (style.Key("against migrants", style.GROUP_COLOURS["migrants"]),
             style.Key("against employers", style.GROUP_COLOURS["employers"])),
        )  # fmt: skip
        value_texts = [
            f" {style.thousands(row['value'])}{style.QUALIFIER_MARKS.get(row['qualifier'], '')}" for row in rows
        ]
        value_room = max(style.text_width(text, style.LABEL_SIZE) for text in value_texts) + 0.1
        margins = style.Margins(left=style.label_width(labels) + 0.3, right=max(value_room, 0.45), below=0.55)
        lines = max(label.count("\n") + 1 for label in labels)
        bar_height = max(BAR_HEIGHT, lines * style.line_height(style.LABEL_SIZE) + 0.12)
        fig, ax = style.frame(header, footer, bar_height * len(rows) + 0.2, margins)
        positions = list(range(len(rows)))[::-1]
        colours = [style.GROUP_COLOURS[row["target_group"]] for row in rows]
        ax.barh(positions, [row["value"] for row in rows], color=colours, height=0.62)
        ax.set_yticks(positions, labels)
        for position, row, text in zip(positions, rows, value_texts, strict=True):
            ax.text(
                row["value"],
                position,
                text,
                va="center",
                ha="left",
                fontsize=style.LABEL_SIZE,
                color=style.INK,
                clip_on=False,
            )
        ax.set_xlim(0, max(row["value"] for row in rows) * 1.02)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.xaxis.set_major_locator(_locator())
        style.thousands_axis(ax.xaxis)
        ax.set_xlabel("Number counted by the source (unit in brackets)")
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color=style.GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        return fig

    plotted = [{column: row.get(column) for column in PLOTTED_COLUMNS} for row in rows]
    return Chart(key.stem, title, subtitle, notes, footer[0], figure_ids, PLOTTED_COLUMNS, plotted, draw)


def _bar_labels(rows: list[dict]) -> list[str]:
    """'Foreigners deported' over '(persons; part counted: found working illegally)': the measure, its unit and
    the part of it the figure counts when it is not the whole (its breakdown); the figure id where two labels
    would be the same. Wrapped to LABEL_WIDTH."""
    labels = [_bar_label(row) for row in rows]
    repeated = {label for label in labels if labels.count(label) > 1}
    labels = [
        label[:-1] + f"; {row['figure_id']})" if label in repeated else label
        for label, row in zip(labels, rows, strict=True)
    ]
    return ["\n".join(style.wrap(label, style.LABEL_SIZE, LABEL_WIDTH)) for label in labels]


def _bar_label(row: dict) -> str:
    unit = row["unit"].replace("_", " ")
    counted = f"{unit}; part counted: {row['breakdown']}" if row.get("breakdown") else unit
    return f"{style.capitalised(row['label'])}\n({counted})"


def _locator():
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10])
