"""Gather every chart the chart assets drew, with the cited figures behind it, and write the report pack."""

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.charts.chart import INDEX_SUFFIX, cited_rows, fetch, read_index
from pipelines.layout import Layout


@dataclass(frozen=True)
class Section:
    """One chart in the report: its manifest (title, caption, files), its SVG and PNG, the figures it uses."""

    asset: str
    manifest: dict
    svg: bytes
    png: Path
    figures: list[dict]


@dataclass(frozen=True)
class Report:
    """What the report pack wrote."""

    files: dict[str, Path]
    charts: int
    figures: int
    pdf_pages: int


def sections(layout: Layout, con: duckdb.DuckDBPyConnection, assets: list[str]) -> list[Section]:
    """Every chart listed in the chart assets' index files, in asset order, with its cited figures."""
    found = []
    for asset in assets:
        for manifest in read_index(layout.charts_dir / f"{asset}{INDEX_SUFFIX}"):
            files = {kind: layout.charts_dir / name for kind, name in manifest["files"].items()}
            found.append(
                Section(
                    asset, manifest, files["svg"].read_bytes(), files["png"], cited_rows(con, manifest["figure_ids"])
                )
            )
    return found


def build_report(layout: Layout) -> Report:
    """Write index.html, report.pdf and the data package into `assets/report/`."""
    from pipelines.assets.charts import CHART_ASSETS
    from pipelines.report import datapackage, html, pdf

    with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
        found = sections(layout, con, list(CHART_ASSETS))
        sources = fetch(con, "SELECT * FROM sources ORDER BY source_id")
        out = layout.report_dir
        out.mkdir(parents=True, exist_ok=True)
        files = datapackage.write_package(con, out, sources)
    files["html"] = html.write_html(out / "index.html", found, sources)
    files["pdf"], pages = pdf.write_pdf(out / "report.pdf", found, sources)
    figures = len({figure["figure_id"] for section in found for figure in section.figures})
    return Report(files, len(found), figures, pages)


TITLE = "Who does the state punish? Immigration enforcement against migrants and against employers"
INTRO = (
    "Every chart below is drawn from the project's warehouse of published figures. Each figure a chart uses is "
    "listed under it with its value, its qualifier, the exact words it was read from and a link to the source "
    "document; the raw file's sha256 and the date it was obtained tie it to the snapshot the pipeline read. "
    "Lower bounds, approximations, regional figures and one-off operations are marked on the charts and in the "
    "tables: read them before quoting a ratio."
)


def describe(row: dict) -> dict[str, str]:
    """A cited figure as the words a report table shows."""
    from pipelines import vocabulary, wording
    from pipelines.charts import style

    measure = vocabulary.measures()[(row["measure"], row["target_group"])]
    return {
        "figure_id": row["figure_id"],
        "where_when": f"{wording.place(row['jurisdiction'], row['subdivision'])}, "
        f"{wording.period(row['period_start'], row['period_end'])}",
        "measure": style.capitalised(measure.label),
        "value": f"{style.thousands(row['value'])} {row['unit'].replace('_', ' ')}",
        "qualifier": row["qualifier"].replace("_", " ") + (f" (flags: {row['flags']})" if row.get("flags") else ""),
        "quote": row["quote"],
        "language": row.get("language") or "",
        "notes": row.get("notes") or "",
        "publisher": row.get("publisher") or "",
        "source_title": row.get("source_title") or "",
        "source_url": row["source_url"],
        "locator": row.get("locator") or "",
        "provenance": f"{row.get('raw_path') or ''}, sha256 {str(row.get('raw_sha256') or '')[:12]}…, "
        f"obtained {row.get('date_accessed') or ''}",
    }
