"""Which assets a run must rebuild, and why: Dagster's stale status (code versions, data versions) from the
instance's records, plus what the instance cannot know by itself (outputs deleted from disk, a blocking check
that failed or never finished)."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleCauseCategory, StaleStatus
from dagster._core.loader import LoadingContextForTest
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log.base import AssetRecord

from pipelines.assets.publish import PUBLISH_KEY
from pipelines.layout import Layout
from pipelines.publish import URL_ENV
from pipelines.versions import record_changed_files


@dataclass(frozen=True)
class Plan:
    """The assets to rebuild with the reason for each (in the order they run), those that are up to date, and
    what else a reader should know (files that changed, steps left out)."""

    rebuild: dict[dg.AssetKey, str]
    up_to_date: list[dg.AssetKey]
    notes: list[str]


def _why_stale(resolver: CachingStaleStatusResolver, key: dg.AssetKey) -> str | None:
    status = resolver.get_status(key)
    if status == StaleStatus.MISSING:
        return "never materialised in this instance"
    if status != StaleStatus.STALE:
        return None
    causes = resolver.get_stale_root_causes(key)
    words = []
    for cause in causes:
        if cause.category == StaleCauseCategory.CODE:
            words.append("its code changed" if cause.asset_key == key else f"the code of {cause.asset_key} changed")
        elif cause.category == StaleCauseCategory.DATA:
            words.append(f"{cause.asset_key.to_user_string()} changed")
        else:
            words.append(f"{cause.asset_key.to_user_string()} {cause.reason}")
    return "; ".join(dict.fromkeys(words)) or "stale"


def _missing_output(event: dg.EventLogEntry | None, layout: Layout) -> str | None:
    """The first file an asset's last materialisation (`event`) recorded (path metadata, and the files a chart
    index lists) that is no longer on disk."""
    if event is None or event.asset_materialization is None:
        return None
    for value in event.asset_materialization.metadata.values():
        if not isinstance(value, dg.PathMetadataValue):
            continue
        path = layout.root / value.path
        if not path.exists():
            return f"its output {value.path} is gone"
        if path.name.endswith(".index.json"):
            for chart in json.loads(path.read_text(encoding="utf-8")):
                for name in chart["files"].values():
                    if not (path.parent / name).exists():
                        return f"its output {Path(value.path).parent / name} is gone"
    return None


def _failed_checks(instance: dg.DagsterInstance, graph, keys: set[dg.AssetKey]) -> dict[dg.AssetKey, str]:
    """Assets whose last evaluation of a check failed with severity ERROR, or never finished."""
    check_keys = [check for check in graph.asset_check_keys if check.asset_key in keys]
    records = instance.event_log_storage.get_latest_asset_check_execution_by_key(check_keys)
    failed: dict[dg.AssetKey, str] = {}
    for check_key, record in records.items():
        if record.status == AssetCheckExecutionRecordStatus.PLANNED:
            failed.setdefault(check_key.asset_key, f"its check {check_key.name} did not finish last time")
        elif record.status == AssetCheckExecutionRecordStatus.FAILED:
            evaluation = record.event.get_dagster_event().event_specific_data if record.event else None
            if getattr(evaluation, "severity", dg.AssetCheckSeverity.ERROR) == dg.AssetCheckSeverity.ERROR:
                failed.setdefault(check_key.asset_key, f"its blocking check {check_key.name} failed last time")
    return failed


def plan_job(defs: dg.Definitions, instance: dg.DagsterInstance, layout: Layout, job: str) -> Plan:
    """Record which sources' files changed, then plan what of the job's assets to rebuild. Publishing is left
    out when no publish URL is set (it would do nothing but record that)."""
    graph = defs.resolve_asset_graph()
    changed = record_changed_files(instance, layout, set(graph.get_all_asset_keys()))
    notes = [f"Files changed since they were last recorded: {', '.join(changed)}"] if changed else []
    wanted = set(defs.resolve_job_def(job).asset_layer.executable_asset_keys)
    if PUBLISH_KEY in wanted and not os.environ.get(URL_ENV):
        notes.append(f"Skipped {PUBLISH_KEY.to_user_string()}: {URL_ENV} is not set (nothing to publish to).")
        wanted.discard(PUBLISH_KEY)
    todo = plan(defs, instance, layout, wanted)
    return Plan(todo.rebuild, todo.up_to_date, notes)


def plan(defs: dg.Definitions, instance: dg.DagsterInstance, layout: Layout, selection: set[dg.AssetKey]) -> Plan:
    """What of `selection` is stale or missing, plus everything downstream of it (and the other tables built by
    the same step), each with the reason; the rest is up to date."""
    graph = defs.resolve_asset_graph()
    loading = LoadingContextForTest(instance)
    AssetRecord.blocking_get_many(loading, graph.get_all_asset_keys())  # one query; the resolver asks key by key
    resolver = CachingStaleStatusResolver(instance, graph, loading)
    latest = instance.get_latest_materialization_events(selection)  # one query, not one per asset
    reasons: dict[dg.AssetKey, str] = {}
    for key in [key for key in graph.toposorted_asset_keys if key in selection]:
        if graph.get(key).parent_keys & reasons.keys():
            continue  # rebuilt anyway, as downstream of a rebuilt asset: no need to ask why
        why = _why_stale(resolver, key) or _missing_output(latest.get(key), layout)
        if why:
            reasons[key] = why
    for key, why in _failed_checks(instance, graph, selection - set(reasons)).items():
        reasons[key] = why
    for key in list(reasons):
        for sibling in graph.get(key).execution_set_asset_keys - set(reasons):
            reasons[sibling] = f"built in one step with {key.to_user_string()}"
    if reasons:
        downstream = dg.AssetSelection.assets(*reasons).downstream().resolve(graph) & selection
        for key in [key for key in graph.toposorted_asset_keys if key in downstream and key not in reasons]:
            upstream = sorted(k.to_user_string() for k in graph.get(key).parent_keys if k in reasons)
            reasons[key] = f"downstream of {', '.join(upstream) or 'a rebuilt asset'}"
    rebuild = {key: reasons[key] for key in graph.toposorted_asset_keys if key in reasons and key in selection}
    return Plan(rebuild, sorted(selection - set(rebuild)), [])
