"""What every chart is made of and writes: the figure, its words, the plotted rows, and the files on disk."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from pipelines.charts import style
from pipelines.exports import write_csv
from pipelines.files import replaced_on_success

INDEX_SUFFIX = ".index.json"


@dataclass
class Chart:
    """A drawn figure and everything a reader needs to cite it."""

    stem: str
    fig: object
    title: str
    subtitle: str
    notes: list[str]
    source_line: str
    figure_ids: list[str]
    columns: list[str]
    plotted: list[dict]


@dataclass(frozen=True)
class ChartFiles:
    """What a chart wrote (its files) and what the UI and the report show of it."""

    stem: str
    files: dict[str, Path]
    title: str
    subtitle: str
    notes: list[str]
    source_line: str
    figure_ids: list[str]
    thumbnail: str = field(repr=False, default="")

    @property
    def caption(self) -> str:
        """Caption for a report: the title, what is measured and the qualifiers."""
        return " ".join(part for part in (self.title + ".", self.subtitle, " ".join(self.notes)) if part)

    def manifest(self) -> dict:
        """JSON-ready description of the chart (no thumbnail)."""
        described = asdict(self)
        described.pop("thumbnail")
        described["files"] = {kind: path.name for kind, path in self.files.items()}
        described["caption"] = self.caption
        return described


def fetch(con: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None) -> list[dict]:
    """Rows of a query as dicts."""
    cursor = con.execute(sql, parameters or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def plain(value: object) -> object:
    """A list of figure ids as one CSV cell ('A;B'); anything else unchanged."""
    return ";".join(value) if isinstance(value, list) else value


def cited_rows(con: duckdb.DuckDBPyConnection, figure_ids: list[str]) -> list[dict]:
    """The cited observations behind `figure_ids`, in the order given."""
    rows = {
        row["figure_id"]: row
        for row in fetch(con, "SELECT * FROM observations_cited WHERE list_contains(?, figure_id)", [figure_ids])
    }
    return [rows[figure_id] for figure_id in figure_ids if figure_id in rows]


def write_chart(chart: Chart, out_dir: Path) -> ChartFiles:
    """Write SVG, PNG, PDF and the CSV of exactly the plotted data; close the figure."""
    plt = style.pyplot()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        files = style.save(chart.fig, out_dir / chart.stem)
        thumbnail = style.thumbnail_markdown(chart.fig, chart.title)
    finally:
        plt.close(chart.fig)
    files["csv"] = out_dir / f"{chart.stem}.csv"
    write_csv(files["csv"], chart.columns, chart.plotted)
    return ChartFiles(
        chart.stem, files, chart.title, chart.subtitle, chart.notes, chart.source_line, chart.figure_ids, thumbnail
    )


def write_index(out_dir: Path, name: str, charts: list[ChartFiles]) -> Path:
    """Write `<name>.index.json` listing the charts an asset drew; remove files of charts it no longer draws."""
    target = out_dir / f"{name}{INDEX_SUFFIX}"
    current = {chart.stem for chart in charts}
    for stale in read_index(target):
        if stale["stem"] not in current:
            for file_name in stale["files"].values():
                (out_dir / file_name).unlink(missing_ok=True)
    with replaced_on_success(target) as temporary:
        text = json.dumps([chart.manifest() for chart in charts], indent=1, ensure_ascii=False, default=str)
        temporary.write_text(text + "\n", encoding="utf-8")
    return target


def read_index(path: Path) -> list[dict]:
    """The charts listed in an index file; none if it does not exist."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
