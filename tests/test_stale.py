"""`make run` rebuilds only what is stale or missing, by Dagster's code and data versions: run for real on a
copy of the shipped data, with a real instance."""

from pathlib import Path

import dagster as dg
import duckdb

from conftest import copy_sources, failure_text
from pipelines.assets.warehouse import TABLE_DESCRIPTIONS
from pipelines.definitions import build_definitions
from pipelines.layout import Layout
from pipelines.stale import plan_job
from pipelines.warehouse import staged_files

JOB = "rebuild_warehouse"
SHEET = ("raw", "figures_enforcement_figures")
STAGED = ("staging", "figures_enforcement_figures")
WAREHOUSE = set(TABLE_DESCRIPTIONS)  # the tables the warehouse step builds together


def _run(layout: Layout, instance: dg.DagsterInstance) -> dict[str, str]:
    """Plan as `make run` does, materialise the plan, and return what it rebuilt (asset → why)."""
    defs = build_definitions(layout)
    todo = plan_job(defs, instance, layout, JOB)
    if todo.rebuild:
        result = defs.resolve_job_def(JOB).execute_in_process(
            instance=instance, asset_selection=list(todo.rebuild), raise_on_error=False
        )
        assert result.success, failure_text(result)
    return {key.to_user_string(): why for key, why in todo.rebuild.items()}


def _correct(sheet: Path, old: str, new: str) -> None:
    text = sheet.read_text(encoding="utf-8")
    assert old in text
    sheet.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_nothing_changed_rebuilds_nothing_and_one_corrected_figure_rebuilds_its_sheet_and_the_warehouse(tmp_path):
    layout = copy_sources(tmp_path)
    with dg.DagsterInstance.ephemeral() as instance:
        first = _run(layout, instance)
        assert first["raw/figures_enforcement_figures"] == "never materialised in this instance"
        assert set(first) >= WAREHOUSE
        assert "publish/postgres_warehouse" not in first

        assert _run(layout, instance) == {}

        _correct(layout.figures_dir / "enforcement_figures.csv", ",arrested,136000,", ",arrested,136001,")
        corrected = _run(layout, instance)
        assert set(corrected) == {"/".join(SHEET), "/".join(STAGED), *WAREHOUSE}
        assert corrected["/".join(SHEET)] == "files/figures_enforcement_figures changed"
        assert corrected["/".join(STAGED)] == "downstream of raw/figures_enforcement_figures"
        with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
            value = con.execute("SELECT value FROM observations WHERE figure_id = 'KAZ-2008-FIDH-01'").fetchone()
        assert value == (136001,)


def test_deleted_outputs_and_failed_blocking_checks_are_rebuilt(tmp_path):
    layout = copy_sources(tmp_path)
    with dg.DagsterInstance.ephemeral() as instance:
        _run(layout, instance)
        staged_files(layout, "eurostat_migr_eipre")[0].unlink()
        rebuilt = _run(layout, instance)
        assert rebuilt["staging/eurostat_migr_eipre"].startswith("its output data/curated/staging/eurostat_migr_eipre")
        assert set(rebuilt) == {"staging/eurostat_migr_eipre", *WAREHOUSE}

        sheet = layout.figures_dir / "enforcement_figures.csv"
        _correct(sheet, "language,notes\n", "language,notes,extra\n")
        defs = build_definitions(layout)
        todo = plan_job(defs, instance, layout, JOB)
        failed = defs.resolve_job_def(JOB).execute_in_process(
            instance=instance, asset_selection=list(todo.rebuild), raise_on_error=False
        )
        assert not failed.success
        # Nothing changed since, and the raw asset was materialised: its failed blocking check makes it run
        # again (checks included) instead of calling it up to date.
        again = plan_job(build_definitions(layout), instance, layout, JOB).rebuild
        assert again[dg.AssetKey(list(SHEET))] == "its blocking check structure failed last time"
