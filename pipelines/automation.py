"""Refreshing and rebuilding without a person: schedules, sensors and automation conditions.

- `refresh_official_sources` (job) downloads every official dataset (`download: true` on each raw asset
  tagged `source_kind: official`) and rebuilds what depends on them.
- `refresh_official_sources_monthly` (schedule) runs it; cron from ENFORCEMENT_REFRESH_CRON, default
  "0 6 1 * *" (06:00 UTC on the 1st of each month).
- `raw_files_changed` (sensor) notices new, changed or removed files under `data/raw/` (sheets, origin
  sidecars, registry entries, snapshots) and materialises the raw assets they belong to and everything
  downstream. A file that belongs to no current asset (a new sheet or registry entry) needs the code location
  reloaded first; the sensor says so.

What runs by itself under the Dagster daemon, and the words that tell the analyst so:

The local build stages (staging, warehouse, charts, reports) update themselves when what they are built from
changes, but only once the blocking checks on those inputs have passed: a blocking check stops its own run,
not the automation that would start the next one (DESIGN §5). Raw sources follow their files and schedules;
publishing to a shared database stays a deliberate act (a job run by hand or the refresh job). Official
sources carry a freshness policy so the UI marks them late when the monthly refresh has not happened.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dagster as dg

from pipelines.layout import Layout
from pipelines.versions import observation, observed_versions, owner

REFRESH_CRON_ENV = "ENFORCEMENT_REFRESH_CRON"
DEFAULT_REFRESH_CRON = "0 6 1 * *"
REFRESH_JOB = "refresh_official_sources"
OFFICIAL = dg.AssetSelection.tag("source_kind", "official")


def refresh_job(assets: list[dg.AssetsDefinition]) -> dg.JobDefinition:
    """Download every official dataset, then rebuild everything downstream of them."""
    official = [a for a in assets if any(a.tags_by_key.get(k, {}).get("source_kind") == "official" for k in a.keys)]
    return dg.define_asset_job(
        REFRESH_JOB,
        selection=OFFICIAL.downstream(),
        config={"ops": {asset.node_def.name: {"config": {"download": True}} for asset in official}},
        description="Download every official dataset (new snapshot only if the content changed) and rebuild.",
    )


def refresh_schedule(job: dg.JobDefinition) -> dg.ScheduleDefinition:
    """Monthly by default; ENFORCEMENT_REFRESH_CRON sets another cron expression."""
    return dg.ScheduleDefinition(
        name="refresh_official_sources_monthly",
        cron_schedule=os.environ.get(REFRESH_CRON_ENV) or DEFAULT_REFRESH_CRON,
        execution_timezone="UTC",
        job=job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Refresh official sources from their APIs (cron from ENFORCEMENT_REFRESH_CRON).",
    )


def fingerprint(raw_dir: Path) -> dict[str, list[int]]:
    """Size and modification time of every file under `raw_dir` (hidden and partial files left out)."""
    state = {}
    for path in sorted(raw_dir.rglob("*")):
        relative = path.relative_to(raw_dir)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            stat = path.stat()
            state[relative.as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return state


def raw_files_sensor(layout: Layout, assets: list[dg.AssetsDefinition]) -> dg.SensorDefinition:
    """Materialise the raw assets whose files changed under `data/raw/`, and everything downstream; record the
    new data version of their `files/` assets so the UI shows them stale until then."""
    known = {key for asset in assets for key in asset.keys}

    @dg.sensor(
        name="raw_files_changed",
        target=dg.AssetSelection.all(),
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Notices new, changed or removed files under data/raw/ and rebuilds what depends on them.",
    )
    def raw_files_changed(context: dg.SensorEvaluationContext):
        state = fingerprint(layout.raw_dir)
        if context.cursor is None:
            context.update_cursor(json.dumps(state))
            return dg.SkipReason(f"First look: remembered {len(state)} files under data/raw/.")
        previous = json.loads(context.cursor)
        changed = sorted(p for p in set(state) | set(previous) if state.get(p) != previous.get(p))
        context.update_cursor(json.dumps(state))
        if not changed:
            return dg.SkipReason("No file under data/raw/ changed.")
        owners = {owner(layout, path) for path in changed} - {None}
        keys = {dg.AssetKey(["raw", source_id]) for source_id in owners}
        unknown = sorted(key.path[-1] for key in keys - known)
        if unknown:
            context.log.warning(f"New sources {unknown}: reload the code location to give them assets.")
        keys &= known
        if not keys:
            return dg.SkipReason(f"Changed files belong to no current asset: {changed[:10]}")
        selection = dg.AssetSelection.assets(*keys).downstream().resolve(assets)
        versions = observed_versions(layout)
        request = dg.RunRequest(
            run_key=json.dumps({p: state.get(p) for p in changed}, sort_keys=True),
            asset_selection=sorted(selection, key=lambda k: k.to_user_string()),
            tags={"trigger": "raw_files_changed", "changed_files": ", ".join(changed)[:200]},
        )
        observed = [observation(key.path[-1], versions.get(key.path[-1], "none")) for key in sorted(keys)]
        return dg.SensorResult(run_requests=[request], asset_events=observed)

    return raw_files_changed


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
