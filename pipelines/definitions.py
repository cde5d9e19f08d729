"""The Dagster code location: `dagster dev -m pipelines.definitions` or `dg dev`."""

import dagster as dg

from pipelines.assets.charts import chart_assets, report_assets
from pipelines.assets.figures import figure_sheet_assets, staged_key
from pipelines.assets.warehouse import warehouse_assets
from pipelines.layout import Layout, default_layout
from pipelines.sheets import discover_sheets


def build_definitions(layout: Layout) -> dg.Definitions:
    """Every asset, check and job for the checkout at `layout`."""
    sheets = discover_sheets(layout.figures_dir)
    source_assets = [asset for sheet in sheets for asset in figure_sheet_assets(layout, sheet)]
    staged = {sheet.source_id: staged_key(sheet.source_id) for sheet in sheets}
    assets = [*source_assets, warehouse_assets(layout, staged), *chart_assets(layout), *report_assets(layout)]
    rebuild_everything = dg.define_asset_job(
        "rebuild_everything",
        selection=dg.AssetSelection.all(),
        description="Read every source, validate, rebuild the warehouse and redraw every chart.",
    )
    return dg.Definitions(assets=assets, jobs=[rebuild_everything], executor=dg.in_process_executor)


defs = build_definitions(default_layout())
