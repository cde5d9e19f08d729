"""What runs by itself under the Dagster daemon, and the words that tell the analyst so.

The local build stages (staging, warehouse, charts, reports) update themselves when what they are built from
changes, but only once the blocking checks on those inputs have passed: a blocking check stops its own run,
not the automation that would start the next one (DESIGN §5). Raw sources follow their files and schedules;
publishing to a shared database stays a deliberate act (a job run by hand or the refresh job). Official
sources carry a freshness policy so the UI marks them late when the monthly refresh has not happened.
"""

from datetime import timedelta

import dagster as dg

DOWNSTREAM_CONDITION = dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
DOWNSTREAM_NOTE = (
    "Updates by itself while `make ui` runs, when what it is built from changes and the blocking checks on "
    "those inputs have passed."
)
AUTOMATED_GROUPS = ("staging", "warehouse", "charts", "reports")
OFFICIAL_WARN_AFTER = timedelta(days=45)
OFFICIAL_FAIL_AFTER = timedelta(days=90)
OFFICIAL_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=OFFICIAL_FAIL_AFTER, warn_window=OFFICIAL_WARN_AFTER)
OFFICIAL_NOTE = (
    f"Refreshed by the monthly schedule; shown as late (warning) after {OFFICIAL_WARN_AFTER.days} days without "
    f"a refresh and as failed after {OFFICIAL_FAIL_AFTER.days}."
)


def _with_policy(spec: dg.AssetSpec) -> dg.AssetSpec:
    description = spec.description or ""
    if spec.tags.get("source_kind") == "official" and spec.freshness_policy is None:
        return spec.replace_attributes(
            freshness_policy=OFFICIAL_FRESHNESS, description=f"{description} {OFFICIAL_NOTE}"
        )
    if spec.group_name in AUTOMATED_GROUPS and spec.automation_condition is None:
        return spec.replace_attributes(
            automation_condition=DOWNSTREAM_CONDITION, description=f"{description} {DOWNSTREAM_NOTE}"
        )
    return spec


def with_automation(assets: list[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """The assets with the project's automation conditions and freshness policies (where none is set yet)."""
    return dg.map_asset_specs(_with_policy, assets)


def automation_sensor() -> dg.AutomationConditionSensorDefinition:
    """Evaluates the automation conditions; on by default (a new instance would otherwise leave it off)."""
    return dg.AutomationConditionSensorDefinition(
        "update_downstream_assets",
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
        description=(
            "Starts a run for staging, warehouse and chart assets whose inputs changed, once the blocking "
            "checks on those inputs have passed. On by default: it only rebuilds local files from local ones."
        ),
    )
