"""The report pack: every format of the report, its citations and data package, written for a selection."""

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.layout import Layout
from pipelines.processes import forking, pool
from pipelines.progress import Progress
from pipelines.report import datapackage, docx, html, pdf
from pipelines.report.build import CACHE_DIR, CHARTS_DIR, Content, gather
from pipelines.report.citations import write_bibtex, write_csl_json
from pipelines.report.selection import EVERYTHING, Selection


@dataclass(frozen=True)
class Report:
    """What the report pack wrote."""

    files: dict[str, Path]
    charts: int
    figures: int
    pdf_pages: int
    pdf_missing_glyphs: tuple[str, ...]  # characters the PDF shows as boxes (none: every text is drawable)


def build_report(
    layout: Layout,
    selection: Selection = EVERYTHING,
    out: Path | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> Report:
    """Write the report pack for `selection` (default everything) into `out` (default `assets/report/`),
    showing its progress step by step (and sending each step's line to `log`).

    Once the content is gathered, the PDF (the slowest format) is written by a forked process while this one
    writes the data package, citations, HTML and DOCX. Each file replaces the last one only when complete, and
    an error in any format fails the pack with its message."""
    out = out or layout.report_dir
    out.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
        progress = Progress("report pack", 6, log, verb="wrote", every=1)
        content = gather(layout, con, selection, out, prepare=pdf.prepare_pixels)
        progress.advance(f"the content ({len(content.charts)} charts)")
        with _beside(lambda: pdf.write_pdf(out / "report.pdf", content)) as pdf_written:
            files = datapackage.write_package(con, out, content.datasets, selection)
            progress.advance("the data package")
            files["bibtex"] = write_bibtex(out / "citations.bib", content.references)
            files["csl_json"] = write_csl_json(out / "citations.json", content.references)
            progress.advance("the citations")
            files["html"] = html.write_html(out / "index.html", content)
            progress.advance("index.html")
            files["docx"] = docx.write_docx(out / "report.docx", content)
            progress.advance("report.docx")
        files["pdf"], pages, missing = pdf_written()
        progress.advance("report.pdf")
    _remove_unused_charts(out / CHARTS_DIR, content)
    figures = len({figure["figure_id"] for chart in content.charts for figure in chart.figures})
    return Report(files, len(content.charts), figures, pages, missing)


_JOB: Callable | None = None  # what the forked process runs: it inherits it, so only the result is pickled


def _run_job():
    return _JOB()


@contextlib.contextmanager
def _beside(job: Callable) -> Iterator[Callable]:
    """Run `job` in a forked process while the `with` block runs here; the value of the `with`, called after the
    block, returns the job's result or raises its error. An error in the block waits for the job first. Where
    processes cannot be forked (or inside a daemon process) the job runs here when its result is asked for."""
    global _JOB
    with forking() as context:
        if context is not None:
            _JOB = job
            try:
                executor = pool(context, 1)
                future = executor.submit(_run_job)  # forks now, while _JOB is set
            finally:
                _JOB = None
    if context is None:
        yield job
        return
    with executor:  # leaving waits for the job, so no file is left half written
        yield future.result


def _remove_unused_charts(charts_out: Path, content: Content) -> None:
    """Remove chart files of an earlier pack that this one no longer shows."""
    used = {path.name for chart in content.charts for path in (chart.svg, chart.png, *chart.parts)}
    for path in charts_out.iterdir():
        if path.name not in used:
            path.unlink()
    for path in (charts_out.parent / CACHE_DIR).glob("*.json"):  # what was kept of them (see kept_record)
        if path.name.removesuffix(".json").rsplit(".", 1)[0] not in used:
            path.unlink()
