"""The monthly refresh schedule and the sensor on data/raw/, evaluated with Dagster's testing helpers."""

import os
from datetime import UTC, datetime

import dagster as dg

from pipelines.automation import DEFAULT_REFRESH_CRON, REFRESH_CRON_ENV, REFRESH_JOB
from pipelines.definitions import build_definitions


def test_schedule_refreshes_official_sources_monthly(built_copy):
    defs = build_definitions(built_copy)
    schedule = defs.resolve_schedule_def("refresh_official_sources_monthly")
    assert schedule.cron_schedule == DEFAULT_REFRESH_CRON == "0 6 1 * *"
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 12, 1, 6, tzinfo=UTC))
    (request,) = schedule.evaluate_tick(context).run_requests
    assert schedule.job_name == REFRESH_JOB and request.job_name in (None, REFRESH_JOB)
    job = defs.resolve_job_def(REFRESH_JOB)
    raw = {key for key in job.asset_layer.selected_asset_keys if key.path[0] == "raw"}
    datasets = ("migr_eipre", "migr_eiord", "migr_eirtn", "migr_eirfs")
    assert raw == {dg.AssetKey(["raw", f"eurostat_{dataset}"]) for dataset in datasets}
    assert dg.AssetKey("observations") in job.asset_layer.selected_asset_keys
    ops = job.run_config_schema.config_type.fields["ops"].default_value
    assert ops["raw__eurostat_migr_eipre"] == {"config": {"download": True}}


def test_schedule_cadence_is_configurable(built_copy, monkeypatch):
    monkeypatch.setenv(REFRESH_CRON_ENV, "0 3 * * 1")
    schedule = build_definitions(built_copy).resolve_schedule_def("refresh_official_sources_monthly")
    assert schedule.cron_schedule == "0 3 * * 1"


def _tick(defs: dg.Definitions, cursor: str | None):
    sensor = defs.resolve_sensor_def("raw_files_changed")
    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
        result = sensor.evaluate_tick(context)
    return result


def test_sensor_requests_what_depends_on_a_changed_file(built_copy):
    defs = build_definitions(built_copy)
    first = _tick(defs, None)
    assert not first.run_requests and "remembered" in first.skip_message
    quiet = _tick(defs, first.cursor)
    assert not quiet.run_requests

    sheet = built_copy.figures_dir / "enforcement_figures.csv"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    os.utime(sheet, ns=(1, 1))
    changed = _tick(defs, first.cursor)
    (request,) = changed.run_requests
    observed = [event.asset_key for event in changed.asset_events]
    assert observed == [dg.AssetKey(["files", "figures_enforcement_figures"])]
    keys = set(request.asset_selection)
    assert dg.AssetKey(["raw", "figures_enforcement_figures"]) in keys
    assert dg.AssetKey(["staging", "figures_enforcement_figures"]) in keys
    assert {dg.AssetKey("observations"), dg.AssetKey(["charts", "headline_kaz_2008"])} <= keys
    assert not any(key.path[0] in ("raw", "staging") and "eurostat" in key.path[-1] for key in keys)

    later = _tick(defs, _tick(defs, None).cursor)
    assert not later.run_requests
    snapshot = next((built_copy.raw_dir / "eurostat" / "migr_eirtn").glob("*.json"))
    snapshot.with_name("20300101T000000Z_aaaaaaaaaaaa.json").write_bytes(snapshot.read_bytes())
    (request,) = _tick(defs, later.cursor).run_requests
    raw = {key for key in request.asset_selection if key.path[0] == "raw"}
    assert raw == {dg.AssetKey(["raw", "eurostat_migr_eirtn"])}
    assert dg.AssetKey("eurostat_detail") in request.asset_selection


def test_sensor_names_new_sources_that_need_a_reload(built_copy):
    defs = build_definitions(built_copy)
    cursor = _tick(defs, None).cursor
    (built_copy.figures_dir / "new sheet.csv").write_text("figure_id\n", encoding="utf-8")
    result = _tick(defs, cursor)
    assert not result.run_requests and "no current asset" in result.skip_message
