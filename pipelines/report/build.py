"""Gather every chart the chart assets drew, with the cited figures behind it, and write the report pack."""

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.charts.chart import INDEX_SUFFIX, cited_rows, fetch, read_index
from pipelines.charts.suite import CHART_ASSETS
from pipelines.layout import Layout
from pipelines.report.content import Section


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
