"""What the analyst sees in the UI, checked on the definitions: descriptions, groups, kinds, code links,
jobs by name, and automation that respects blocking checks."""

from pathlib import Path

import dagster as dg
import pytest

from conftest import REPO
from pipelines.automation import AUTOMATED_GROUPS, OFFICIAL_WARN_AFTER, refresh_job, with_automation
from pipelines.definitions import build_definitions
from pipelines.layout import Layout
from pipelines.schema import OBSERVATION_COLUMNS

CHART = ("charts", "headline_kaz_2008")
GROUPS = {"raw", "staging", "warehouse", "charts", "reports", "publish"}


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return build_definitions(Layout(REPO))


def specs(defs: dg.Definitions) -> list[dg.AssetSpec]:
    return [spec for asset in defs.assets for spec in asset.specs]


def test_every_asset_reads_well(defs):
    for spec in specs(defs):
        name = spec.key.to_user_string()
        assert spec.group_name in GROUPS, name
        assert spec.kinds, f"{name} has no kinds"
        assert len(spec.description or "") > 80, f"{name}: too short a description for an analyst"
        [reference] = spec.metadata["dagster/code_references"].code_references
        source = Path(reference.file_path)
        assert source.is_relative_to(REPO / "pipelines") and source.exists(), name
        assert reference.line_number > 0


def test_staging_tables_declare_their_columns_before_any_run(defs):
    for spec in specs(defs):
        if spec.group_name == "staging":
            columns = [column.name for column in spec.metadata["dagster/column_schema"].columns]
            assert columns == list(OBSERVATION_COLUMNS)


def test_every_group_the_analyst_expects_is_there(defs):
    assert {spec.group_name for spec in specs(defs)} >= {"raw", "staging", "warehouse", "charts"}


def test_downstream_assets_update_themselves_and_say_so(defs):
    for spec in specs(defs):
        if spec.group_name not in AUTOMATED_GROUPS:
            assert spec.automation_condition is None, f"{spec.key} should not run by itself"
            continue
        assert spec.automation_condition is not None, spec.key
        assert "label='all_deps_blocking_checks_passed'" in str(spec.automation_condition.get_snapshot()), spec.key
        assert "Updates by itself" in spec.description


def test_jobs_an_analyst_looks_for(defs):
    repository = defs.get_repository_def()
    assert {"rebuild_everything", "render_charts_and_report", "refresh_official_sources"} <= set(repository.job_names)
    charts = defs.resolve_job_def("render_charts_and_report").asset_layer.executable_asset_keys
    assert charts == {spec.key for spec in specs(defs) if spec.group_name in ("charts", "reports")}
    assert dg.AssetKey(list(CHART)) in charts
    everything = defs.resolve_job_def("rebuild_everything").asset_layer.executable_asset_keys
    # The files/<source> assets are observed (their data versions), never materialised.
    assert everything == {spec.key for spec in specs(defs) if spec.key.path[0] != "files"}


def test_every_schedule_and_sensor_is_on_by_default(defs):
    """The policy in the README: everything that runs by itself is on in a fresh instance."""
    repository = defs.get_repository_def()
    sensors = {sensor.name: sensor.default_status for sensor in repository.sensor_defs}
    assert {"update_downstream_assets", "alert_on_run_failure", "alert_on_check_failure"} <= set(sensors)
    assert set(sensors.values()) == {dg.DefaultSensorStatus.RUNNING}
    for schedule in repository.schedule_defs:
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING, schedule.name


def official_keys(defs: dg.Definitions) -> set[dg.AssetKey]:
    return {spec.key for spec in specs(defs) if spec.tags.get("source_kind") == "official"}


def test_refresh_official_sources_selects_them_and_what_depends_on_them(defs):
    official = official_keys(defs)
    assert official, "the shipped registry declares official sources"
    job = defs.resolve_job_def("refresh_official_sources")
    expected = dg.AssetSelection.assets(*official).downstream().resolve(defs.resolve_asset_graph())
    assert job.asset_layer.executable_asset_keys == expected
    assert {dg.AssetKey("observations"), dg.AssetKey(list(CHART))} <= expected
    assert not any(key.path[-1].startswith("figures_") for key in expected if key.path[0] == "raw")


def test_refresh_official_sources_is_valid_with_no_official_source():
    sheets_only = [asset for asset in build_definitions(Layout(REPO)).assets if not official_in(asset)]
    defs = dg.Definitions(assets=sheets_only, jobs=[refresh_job(sheets_only)])
    assert defs.resolve_job_def("refresh_official_sources").asset_layer.executable_asset_keys == set()


def official_in(asset: dg.AssetsDefinition) -> bool:
    return any(spec.tags.get("source_kind") == "official" for spec in asset.specs)


def test_official_sources_show_as_late_after_45_days(defs):
    for spec in specs(defs):
        if spec.key in official_keys(defs):
            assert spec.freshness_policy.warn_window.to_timedelta() == OFFICIAL_WARN_AFTER, spec.key
            assert "late (warning) after 45 days" in spec.description


@dg.asset(group_name="staging", kinds={"pandas"})
def upstream() -> int:
    return 1


@dg.asset(deps=[upstream], group_name="warehouse", kinds={"duckdb"})
def downstream() -> None:
    pass


def gate(passes: bool) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=upstream, blocking=True, name="upstream_is_sound")
    def upstream_is_sound() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=passes)

    return upstream_is_sound


@pytest.mark.parametrize("check_passes", [True, False])
def test_downstream_automation_waits_for_blocking_checks(check_passes):
    assets = with_automation([upstream, downstream])
    defs = dg.Definitions(assets=[*assets, gate(check_passes)])
    with dg.instance_for_test() as instance:
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert first.total_requested == 0  # nothing upstream has happened yet
        dg.materialize([upstream, gate(check_passes)], instance=instance, raise_on_error=False)
        after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assert after.get_num_requested(dg.AssetKey("downstream")) == (1 if check_passes else 0)
