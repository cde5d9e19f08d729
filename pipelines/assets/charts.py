"""Chart and report assets: report-ready files in `assets/charts/` and `assets/report/`, thumbnails in the UI."""

import hashlib
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

import dagster as dg
import lazy_loader as lazy
from pydantic import Field

from pipelines.charts.suite import CHART_ASSETS
from pipelines.files import replaced_on_success
from pipelines.layout import Layout
from pipelines.markdown import markdown_table

if TYPE_CHECKING:
    from pipelines.charts.chart import ChartFiles

duckdb = lazy.load("duckdb", error_on_import=True)

KAZAKHSTAN_2008 = ("KAZ", None, date(2008, 1, 1), date(2008, 12, 31))
WAREHOUSE_DEPS = ["observations", "preferred_observations", "comparisons", "sources"]
INDEX_ROWS_SHOWN = 40


def _draw(name: str, con: "duckdb.DuckDBPyConnection") -> Iterator:
    """The Chart objects an asset draws from the warehouse, one at a time (matplotlib is imported only here)."""
    from pipelines.charts import compare, coverage, europe, eurostat, headline, ratios

    if name == "headline_kaz_2008":
        yield headline.build_headline(con, headline.ComparisonKey(*KAZAKHSTAN_2008))
    elif name == "headline_comparisons":
        keys = [key for key in headline.comparable_keys(con) if key != headline.ComparisonKey(*KAZAKHSTAN_2008)]
        yield from headline.headline_charts(con, keys)
    elif name == "ratio_over_time":
        yield from (ratios.build_ratio_over_time(con, *place) for place in ratios.ratio_places(con))
    elif name == "cross_jurisdiction":
        yield compare.build_cross_jurisdiction(con)
    elif name == "europe_latest":
        if europe.europe_pairs(con):  # none in a project without European figures on both sides
            yield europe.build_europe(con)
    elif name == "coverage_matrix":
        yield coverage.build_coverage(con)
    else:
        rows = eurostat.eurostat_rows(con)
        countries = list(dict.fromkeys(row["jurisdiction"] for row in rows))
        yield from (eurostat.build_eurostat(country, rows) for country in countries)


def _chart_spec(name: str, description: str, files: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=["charts", name],
        deps=WAREHOUSE_DEPS,
        group_name="charts",
        kinds={"matplotlib", "svg"},
        description=f"{description} Files in assets/charts/: {files}, listed in {name}.index.json.",
    )


def _version(drawn: list) -> dg.DataVersion:
    """The asset's data version: its charts' fingerprints, so it changes only when a chart would look different."""
    return dg.DataVersion(hashlib.sha256(" ".join(chart.fingerprint for chart in drawn).encode()).hexdigest()[:24])


def _thumbnail(layout: Layout, name: str, chart: "ChartFiles") -> bytes:
    """The thumbnail of asset `name` (of `chart`, its first chart), kept under the PNG's checksum: made again
    only when the PNG changed, and then the asset's older thumbnail (of this or another chart) is removed, with
    any thumbnail no chart asset owns (before 2ba8d98 they were named after a chart)."""
    from pipelines.charts import style

    kept = layout.thumbnails_dir / f"{name}.{chart.sha256['png'][:16]}.png"
    if kept.exists():
        return kept.read_bytes()
    for older in layout.thumbnails_dir.glob("*.png"):
        owner = older.name.split(".", 1)[0]
        if owner == name or owner not in CHART_ASSETS:
            older.unlink()
    thumbnail = style.thumbnail_png(chart.files["png"])
    with replaced_on_success(kept) as temporary:
        temporary.write_bytes(thumbnail)
    return thumbnail


def _metadata(layout: Layout, name: str, drawn: list, index) -> dict:
    """Small metadata: one thumbnail, the file paths, a table of titles (never the full images)."""
    from pipelines.charts import style

    metadata: dict = {
        "charts": len(drawn),
        "redrawn": sum(chart.redrawn for chart in drawn),
        "index": dg.MetadataValue.path(layout.relative(index)),
    }
    if not drawn:
        metadata["status"] = dg.MetadataValue.md(
            "No rows to draw: the warehouse holds no Eurostat-kind source yet (sources.kind = 'eurostat'). "
            "No chart files were written."
            if name == "eurostat_series"
            else "No rows to draw."
        )
        return metadata
    first = drawn[0]
    metadata["thumbnail"] = dg.MetadataValue.md(style.png_markdown(_thumbnail(layout, name, first), first.title))
    metadata["title"] = first.title
    metadata["source_line"] = first.source_line
    if len(drawn) == 1:
        metadata["figure_ids"] = dg.MetadataValue.json(first.figure_ids)
        for kind, path in first.files.items():
            metadata[f"file_{kind}"] = dg.MetadataValue.path(layout.relative(path))
    else:
        rows = [[chart.title, f"{chart.stem}.{{svg,png,pdf,csv}}"] for chart in drawn[:INDEX_ROWS_SHOWN]]
        metadata["files"] = dg.MetadataValue.md(markdown_table(["title", "files"], rows, len(drawn)))
    return metadata


def chart_assets(layout: Layout) -> list[dg.AssetsDefinition]:
    """The chart assets drawn from the warehouse: one step draws the charts of every selected asset, all in one
    pool on every core (a one-chart asset's big chart is drawn beside the others' small ones). An asset whose
    charts cannot be drawn fails the step after the others are materialised, so the report waits for a fix."""
    specs = [_chart_spec(name, description, files) for name, (description, files) in CHART_ASSETS.items()]

    @dg.multi_asset(name="draw_charts", specs=specs, can_subset=True)
    def draw_charts(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        from pipelines.charts.parallel import write_chart_sets

        selected = [name for name in CHART_ASSETS if dg.AssetKey(["charts", name]) in context.selected_asset_keys]
        with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
            sets = {name: _draw(name, con) for name in selected}
            written, failed = write_chart_sets(layout.charts_dir, sets, context.log.info)
        for name, (drawn, index) in written.items():
            redrawn = sum(chart.redrawn for chart in drawn)
            context.log.info(
                f"{name}: {len(drawn)} chart(s) in {layout.relative(layout.charts_dir)}, {redrawn} redrawn "
                "(the others' rows, words and drawing code are unchanged)"
            )
            yield dg.MaterializeResult(
                asset_key=["charts", name], metadata=_metadata(layout, name, drawn, index), data_version=_version(drawn)
            )
        if failed:
            raise dg.Failure(
                description="Charts not drawn (the last good files and index of these assets are kept; the other "
                "chart assets were written): "
                + "; ".join(f"charts/{name}: {', '.join(errors)}" for name, errors in failed.items()),
                metadata={"failed_assets": dg.MetadataValue.json(sorted(failed))},
            )

    return [draw_charts]


class ReportSelection(dg.Config):
    """Which part of the data the report pack covers (the launchpad's run config); empty means everything."""

    jurisdictions: list[str] = Field(default=[], description="ISO 3166-1 alpha-3 codes, e.g. ['KAZ', 'RUS']")
    from_year: int | None = Field(default=None, description="first year a figure's period may start in")
    to_year: int | None = Field(default=None, description="last year a figure's period may end in")


def report_assets(layout: Layout) -> list[dg.AssetsDefinition]:
    """The report pack: one HTML page and one PDF with every chart, and the comparisons as a data package."""

    @dg.asset(
        key=["reports", "report_pack"],
        deps=[dg.AssetKey(["charts", name]) for name in CHART_ASSETS] + WAREHOUSE_DEPS,
        group_name="reports",
        kinds={"html", "pdf", "docx", "csv"},
        description=(
            "The report an analyst hands in, findings first: a summary (the question, the cross-country chart, the "
            "latest like-for-like comparison of every jurisdiction), a section per jurisdiction (its charts and its "
            "figures with quotes), methods and caveats, numbered citations. As assets/report/index.html (charts in "
            "charts/ beside it), report.pdf and report.docx; citations.bib and citations.json for reference "
            "managers; datapackage.json with comparisons.csv, figures.csv and sources.csv. Run config selects "
            "jurisdictions and years (default everything); a selection is written to "
            "assets/report/selections/<codes>_<from>-<to>/."
        ),
    )
    def report_pack(context: dg.AssetExecutionContext, config: ReportSelection) -> dg.MaterializeResult:
        from pipelines.report.pack import build_report
        from pipelines.report.selection import Selection

        selection = Selection.parse(config.jurisdictions, config.from_year, config.to_year)
        out = layout.report_dir if selection.everything else layout.report_dir / "selections" / selection.slug()
        report = build_report(layout, selection, out, log=context.log.info)
        context.log.info(f"report pack for {selection.describe()} in {layout.relative(out)}")
        if report.pdf_missing_glyphs:
            context.log.warning(f"report.pdf shows these characters as boxes: {' '.join(report.pdf_missing_glyphs)}")
        return dg.MaterializeResult(
            metadata={
                "selection": selection.describe(),
                "charts": report.charts,
                "figures_cited": report.figures,
                "pdf_pages": report.pdf_pages,
                "pdf_missing_glyphs": " ".join(report.pdf_missing_glyphs) or "none",
                **{f"file_{kind}": dg.MetadataValue.path(layout.relative(path)) for kind, path in report.files.items()},
            }
        )

    return [report_pack]
