"""The report pack: every format of the report, its citations and data package, written for a selection."""

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.layout import Layout
from pipelines.report import datapackage, docx, html, pdf
from pipelines.report.build import CHARTS_DIR, Content, gather
from pipelines.report.citations import write_bibtex, write_csl_json
from pipelines.report.selection import EVERYTHING, Selection


@dataclass(frozen=True)
class Report:
    """What the report pack wrote."""

    files: dict[str, Path]
    charts: int
    figures: int
    pdf_pages: int


def build_report(layout: Layout, selection: Selection = EVERYTHING, out: Path | None = None) -> Report:
    """Write the report pack for `selection` (default everything) into `out` (default `assets/report/`)."""
    out = out or layout.report_dir
    out.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
        content = gather(layout, con, selection, out)
        files = datapackage.write_package(con, out, content.datasets, selection)
    files["bibtex"] = write_bibtex(out / "citations.bib", content.references)
    files["csl_json"] = write_csl_json(out / "citations.json", content.references)
    files["html"] = html.write_html(out / "index.html", content)
    files["pdf"], pages = pdf.write_pdf(out / "report.pdf", content)
    files["docx"] = docx.write_docx(out / "report.docx", content)
    _remove_unused_charts(out / CHARTS_DIR, content)
    figures = len({figure["figure_id"] for chart in content.charts for figure in chart.figures})
    return Report(files, len(content.charts), figures, pages)


def _remove_unused_charts(charts_out: Path, content: Content) -> None:
    """Remove chart files of an earlier pack that this one no longer shows."""
    used = {path.name for chart in content.charts for path in (chart.svg, chart.png, *chart.parts)}
    for path in charts_out.iterdir():
        if path.name not in used:
            path.unlink()
