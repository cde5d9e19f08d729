"""Chart assets: report-ready files in `assets/charts/` and a thumbnail in the UI."""

from datetime import date

import dagster as dg
import duckdb

from pipelines.layout import Layout

KAZAKHSTAN_2008 = ("KAZ", None, date(2008, 1, 1), date(2008, 12, 31))


def chart_assets(layout: Layout) -> list[dg.AssetsDefinition]:
    """The chart assets drawn from the warehouse."""

    @dg.asset(
        key=["charts", "headline_kaz_2008"],
        deps=["observations", "comparisons"],
        group_name="charts",
        kinds={"matplotlib", "svg"},
        description=(
            "The motivating comparison: Kazakhstan 2008, foreigners arrested and deported against employers "
            "held liable, with the ratio in words and the source line built from the plotted rows. "
            "Files: assets/charts/headline_kaz_2008.{svg,png,pdf,csv}."
        ),
    )
    def headline_kaz_2008() -> dg.MaterializeResult:
        from pipelines.charts.headline import ComparisonKey, draw_headline

        with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
            chart = draw_headline(con, ComparisonKey(*KAZAKHSTAN_2008), layout.charts_dir)
        return dg.MaterializeResult(
            metadata={
                "thumbnail": dg.MetadataValue.md(chart.thumbnail),
                "title": chart.title,
                "source_line": chart.source_line,
                "figure_ids": dg.MetadataValue.json(chart.figure_ids),
                **{f"file_{kind}": dg.MetadataValue.path(layout.relative(path)) for kind, path in chart.files.items()},
            }
        )

    return [headline_kaz_2008]
