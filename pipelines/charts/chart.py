"""What every chart is made of and writes: the figure, its words, the plotted rows, and the files on disk."""

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from importlib.metadata import version
from pathlib import Path

import duckdb

from pipelines.charts import style
from pipelines.exports import write_csv
from pipelines.files import replaced_on_success
from pipelines.provenance import sha256_of

INDEX_SUFFIX = ".index.json"
# Columns that tie a figure to the raw file it was read from. Charts never draw them (they are in each chart's
# CSV), so editing or re-snapshotting a source redraws only the charts whose drawn values changed.
FILE_PROVENANCE = frozenset({"raw_path", "raw_sha256", "date_accessed", "retrieved_at", "locator"})


@dataclass
class Chart:
    """Everything a reader needs to cite a chart, and how to draw it (only when its files are out of date)."""

    stem: str
    title: str
    subtitle: str
    notes: list[str]
    source_line: str
    figure_ids: list[str]
    columns: list[str]
    plotted: list[dict]
    draw: Callable[[], object]

    def fingerprint(self) -> str:
        """sha256 of what decides the images: the words, the plotted rows, every value `draw` reads from its
        builder and the drawing code's version, leaving out the columns that only tie a figure to its raw file."""
        described = {field.name: getattr(self, field.name) for field in fields(self) if field.name != "draw"}
        captured = [cell.cell_contents for cell in self.draw.__closure__ or ()]
        drawn = _without_file_provenance([described, captured, drawing_version()])
        text = json.dumps(drawn, sort_keys=True, default=repr, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _without_file_provenance(value: object) -> object:
    """`value` with FILE_PROVENANCE keys dropped from every mapping in it."""
    if isinstance(value, dict):
        return {key: _without_file_provenance(item) for key, item in value.items() if key not in FILE_PROVENANCE}
    if isinstance(value, list | tuple):
        return [_without_file_provenance(item) for item in value]
    return value


@functools.cache
def drawing_version() -> str:
    """What else decides a chart's pixels: the source of this package (layout, style), of the wording it
    draws numbers and places with, and matplotlib's version."""
    digest = hashlib.sha256(version("matplotlib").encode("ascii"))
    package = Path(__file__).parent
    for path in [*sorted(package.glob("*.py")), package.parent / "wording.py"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class ChartFiles:
    """What a chart wrote (its files with their sha256) and what the UI and the report show of it."""

    stem: str
    files: dict[str, Path]
    title: str
    subtitle: str
    notes: list[str]
    source_line: str
    figure_ids: list[str]
    fingerprint: str
    sha256: dict[str, str]
    redrawn: bool

    @property
    def caption(self) -> str:
        """Caption for a report: the title, what is measured and the qualifiers."""
        return " ".join(part for part in (self.title + ".", self.subtitle, " ".join(self.notes)) if part)

    def manifest(self) -> dict:
        """JSON-ready description of the chart, as its index lists it."""
        described = asdict(self)
        described.pop("redrawn")
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


def pair_figures(con: duckdb.DuckDBPyConnection, pairs: list[dict]) -> tuple[list[str], list[dict]]:
    """The figure ids of comparison pairs, each once in the pairs' order, and their cited observations."""
    figure_ids = list(dict.fromkeys(figure for pair in pairs for figure in pair["figure_ids"]))
    return figure_ids, cited_rows(con, figure_ids)


def write_chart(chart: Chart, out_dir: Path, previous: dict | None = None) -> ChartFiles:
    """Write the CSV of exactly the plotted data, and SVG, PNG and PDF unless `previous` (the chart's entry in the
    last index) has the same fingerprint and those files are still there, unchanged: then they are kept.
    """
    fingerprint = chart.fingerprint()
    kept = unchanged_images(out_dir, previous, fingerprint)
    return finished_chart(
        chart, out_dir, fingerprint, kept or hashed_images(draw_chart(chart, out_dir)), redrawn=kept is None
    )


def draw_chart(chart: Chart, out_dir: Path) -> dict[str, Path]:
    """Draw one chart and save its SVG, PNG and PDF."""
    plt = style.pyplot()
    out_dir.mkdir(parents=True, exist_ok=True)
    fig = chart.draw()
    try:
        return style.save(fig, out_dir / chart.stem)
    finally:
        plt.close(fig)


Images = dict[str, tuple[Path, str]]  # each image file of a chart (by format) and its sha256


def hashed_images(files: dict[str, Path]) -> Images:
    """Each image file with its sha256."""
    return {kind: (path, sha256_of(path)) for kind, path in files.items()}


def finished_chart(chart: Chart, out_dir: Path, fingerprint: str, images: Images, redrawn: bool) -> ChartFiles:
    """Write the chart's CSV beside its images and describe all four files."""
    csv_file = out_dir / f"{chart.stem}.csv"
    write_csv(csv_file, chart.columns, chart.plotted)
    files = {**{kind: path for kind, (path, _) in images.items()}, "csv": csv_file}
    sha256 = {**{kind: digest for kind, (_, digest) in images.items()}, "csv": sha256_of(csv_file)}
    return ChartFiles(
        chart.stem, files, chart.title, chart.subtitle, chart.notes, chart.source_line, chart.figure_ids,
        fingerprint, sha256, redrawn,
    )  # fmt: skip


def unchanged_images(out_dir: Path, previous: dict | None, fingerprint: str) -> Images | None:
    """The images of the last drawing if it had this fingerprint and each still has its recorded sha256."""
    if not previous or previous.get("fingerprint") != fingerprint:
        return None
    recorded = previous.get("sha256") or {}
    files = {kind: out_dir / name for kind, name in previous["files"].items() if kind in style.FORMATS}
    if set(files) != set(style.FORMATS) or any(not path.exists() for path in files.values()):
        return None
    images = hashed_images(files)
    return images if all(digest == recorded.get(kind) for kind, (_, digest) in images.items()) else None


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
