"""The headline chart: for one place and period, enforcement against migrants next to employers."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipelines import vocabulary, wording
from pipelines.charts import style
from pipelines.exports import write_csv

PLOTTED_COLUMNS = [
    "figure_id", "jurisdiction", "subdivision", "period_start", "period_end", "target_group", "measure", "label",
    "value", "unit", "qualifier", "publisher", "source_title", "source_url", "published_date", "quote",
    "source_id", "raw_path", "raw_sha256", "date_accessed",
]  # fmt: skip
QUALIFIER_NOTES = {
    "lower_bound": "a lower bound (the source says 'more than')",
    "upper_bound": "an upper bound",
    "approximate": "approximate (the source says 'about' or rounds)",
}


@dataclass(frozen=True)
class ComparisonKey:
    """Which place and period a headline chart is about."""

    jurisdiction: str
    subdivision: str | None
    period_start: date | None
    period_end: date

    @property
    def stem(self) -> str:
        place = self.jurisdiction.lower()
        if self.subdivision:
            place += "_" + "".join(c if c.isalnum() else "_" for c in self.subdivision.lower()).strip("_")
        return f"headline_{place}_{wording.period_slug(self.period_start, self.period_end)}"


@dataclass(frozen=True)
class ChartFiles:
    """What a chart wrote and what the UI shows of it."""

    files: dict[str, Path]
    thumbnail: str
    title: str
    source_line: str
    figure_ids: list[str]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, parameters: list) -> list[dict]:
    cursor = con.execute(sql, parameters)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def draw_headline(con: duckdb.DuckDBPyConnection, key: ComparisonKey, out_dir: Path) -> ChartFiles:
    """Draw the headline comparison for `key` from the warehouse and write SVG, PNG, PDF and CSV."""
    where = (
        "jurisdiction = ? AND subdivision IS NOT DISTINCT FROM ? AND period_start IS NOT DISTINCT FROM ?"
        " AND period_end = ?"
    )
    parameters = [key.jurisdiction, key.subdivision, key.period_start, key.period_end]
    pairs = _rows(con, f"SELECT * FROM comparisons WHERE {where} ORDER BY migrants_value DESC", parameters)
    if not pairs:
        raise LookupError(f"no migrants-vs-employers comparison in the warehouse for {key}")
    figure_ids = list(dict.fromkeys(figure for pair in pairs for figure in pair["figure_ids"]))
    rows = _rows(
        con,
        "SELECT * FROM observations_cited WHERE list_contains(?, figure_id)"
        " ORDER BY target_group DESC, value DESC, figure_id",
        [figure_ids],
    )
    for row in rows:
        row["label"] = vocabulary.measures()[(row["measure"], row["target_group"])].label
    comparable = [pair for pair in pairs if pair["ratio"] is not None]
    sentences = [
        wording.ratio_sentence(p["ratio"], p["qualifier"], p["migrants_measure"], p["employers_measure"])
        for p in comparable
    ]
    place = wording.place(key.jurisdiction, key.subdivision)
    when = wording.period(key.period_start, key.period_end)
    title = f"{place}, {when}: {sentences[0]}" if sentences else f"{place}, {when}"

    plt = style.pyplot()
    fig, ax = plt.subplots(figsize=style.FIGURE_SIZE)
    labels = [f"{row['label'][0].upper()}{row['label'][1:]}\n({row['unit']})" for row in rows][::-1]
    values = [row["value"] for row in rows][::-1]
    colours = [style.GROUP_COLOURS[row["target_group"]] for row in rows][::-1]
    bars = ax.barh(labels, values, color=colours, height=0.6)
    for bar, row in zip(bars, rows[::-1], strict=True):
        mark = {"lower_bound": " +", "approximate": " ~", "upper_bound": " max"}.get(row["qualifier"], "")
        ax.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f" {style.thousands(row['value'])}{mark}",
            va="center",
            ha="left",
            fontsize=10,
            color=style.INK,
        )
    ax.set_xlim(0, max(values) * 1.18)
    ax.xaxis.set_major_formatter(lambda value, _: style.thousands(value))
    ax.set_xlabel("Number, as counted by the source (unit in brackets)")
    ax.tick_params(axis="y", length=0)
    if sentences:
        ax.text(
            0.98,
            0.05,
            "\n".join(s[0].upper() + s[1:] for s in sentences),
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=10,
            color=style.INK,
            bbox={"boxstyle": "round,pad=0.5", "facecolor": "#F2F2F2", "edgecolor": "none"},
        )
    fig.suptitle(title, x=0.01, ha="left", fontsize=12.5, fontweight="bold", color=style.INK, wrap=True)
    subtitle = "Enforcement against migrants (blue) and against employers of irregular migrants (vermilion)"
    fig.text(0.01, 0.905, subtitle, ha="left", fontsize=9.5, color=style.MUTED)
    notes = [
        f"{row['label'][0].upper()}{row['label'][1:]} is {QUALIFIER_NOTES[row['qualifier']]}."
        for row in rows
        if row["qualifier"] in QUALIFIER_NOTES
    ]
    if key.subdivision:
        notes.append(f"Figures cover {key.subdivision} only, not the whole country.")
    if key.period_start is None:
        notes.append("Figures cover one enforcement operation, not a year.")
    footer_lines = [style.source_line(rows), "Note: " + " ".join(notes) if notes else ""]
    bottom = style.footer(fig, footer_lines)
    fig.subplots_adjust(left=0.3, right=0.93, top=0.84, bottom=bottom + 0.1)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = style.save(fig, out_dir / key.stem)
    thumbnail = style.thumbnail_markdown(fig, title)
    plt.close(fig)
    files["csv"] = out_dir / f"{key.stem}.csv"
    write_csv(files["csv"], PLOTTED_COLUMNS, rows)
    return ChartFiles(files, thumbnail, title, footer_lines[0], figure_ids)
