"""The jobs an analyst looks for by name in the UI's Jobs list (`refresh_official_sources` is in automation.py)."""

import dagster as dg


def analyst_jobs() -> list:
    """`rebuild_everything`, `rebuild_warehouse` and `render_charts_and_report`."""
    return [
        dg.define_asset_job(
            "rebuild_everything",
            selection=dg.AssetSelection.all(),
            description="Read every source, validate, rebuild the warehouse and redraw every chart.",
        ),
        dg.define_asset_job(
            "rebuild_warehouse",
            selection=dg.AssetSelection.all() - dg.AssetSelection.groups("charts", "reports"),
            description="Read every source, validate, rebuild (and publish) the warehouse; charts are not redrawn.",
        ),
        dg.define_asset_job(
            "render_charts_and_report",
            selection=dg.AssetSelection.groups("charts", "reports"),
            description="Redraw every chart and the report from the warehouse as it is now (no source is re-read).",
        ),
    ]
