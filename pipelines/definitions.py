"""The Dagster code location: `dagster dev -m pipelines.definitions` or `dg dev`."""

import dagster as dg

from pipelines.alerts import alert_sensors
from pipelines.assets.charts import chart_assets, report_assets
from pipelines.assets.eurostat import eurostat_assets
from pipelines.assets.figures import figure_sheet_assets, staged_key
from pipelines.assets.publish import publish_asset
from pipelines.assets.warehouse import warehouse_assets
from pipelines.automation import automation_sensor, raw_files_sensor, refresh_job, refresh_schedule, with_automation
from pipelines.catalog import with_catalog
from pipelines.jobs import analyst_jobs
from pipelines.layout import Layout, default_layout
from pipelines.sheets import discover_sheets
from pipelines.sources import read_registry
from pipelines.versions import files_asset, with_versions


def build_definitions(layout: Layout) -> dg.Definitions:
    """Every asset, check, job and sensor for the checkout at `layout`."""
    sheets = discover_sheets(layout.figures_dir)
    source_assets = [asset for sheet in sheets for asset in figure_sheet_assets(layout, sheet)]
    staged = {sheet.source_id: staged_key(sheet.source_id) for sheet in sheets}
    datasets = read_registry(layout).datasets
    source_assets += [asset for dataset in datasets for asset in eurostat_assets(layout, dataset)]
    staged |= {dataset.source_id: staged_key(dataset.source_id) for dataset in datasets}
    assets = with_automation(
        [
            *source_assets,
            warehouse_assets(layout, staged),
            *chart_assets(layout),
            *report_assets(layout),
            publish_asset(layout),
        ]
    )
    assets = [*with_versions(assets), files_asset(layout, assets)]
    refresh_official_sources = refresh_job(assets)
    return dg.Definitions(
        assets=with_catalog(assets),
        jobs=[*analyst_jobs(), refresh_official_sources],
        schedules=[refresh_schedule(refresh_official_sources)],
        sensors=[raw_files_sensor(layout, assets), automation_sensor(), *alert_sensors(layout)],
        executor=dg.in_process_executor,
    )


defs = build_definitions(default_layout())
