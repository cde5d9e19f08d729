"""The Dagster code location: `dagster dev -m pipelines.definitions` or `dg dev`."""

import dagster as dg

from pipelines.alerts import alert_sensors
from pipelines.assets.charts import chart_assets, report_assets
from pipelines.assets.publish import publish_asset
from pipelines.assets.sources import all_source_assets
from pipelines.assets.warehouse import warehouse_assets
from pipelines.automation import automation_sensor, raw_files_sensor, refresh_job, refresh_schedule, with_automation
from pipelines.catalog import with_catalog
from pipelines.history import write_history_without_flushes
from pipelines.jobs import analyst_jobs
from pipelines.layout import Layout, default_layout
from pipelines.versions import files_asset, with_versions


def build_definitions(layout: Layout) -> dg.Definitions:
    """Every asset, check, job and sensor for the checkout at `layout` (and Dagster's run history written
    without a disk flush per event, in every process that loads them: see pipelines.history)."""
    write_history_without_flushes()
    source_assets, staged = all_source_assets(layout)
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
