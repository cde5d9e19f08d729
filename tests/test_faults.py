"""Nothing is lost when a run is killed, blocked by a lock, or started twice: real processes, real files."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
from test_bad_input import set_cell
from test_pipeline import SEED, query, shipped_rows

from conftest import REPO, failure_text, fingerprint, materialise
from pipelines.definitions import build_definitions
from pipelines.layout import Layout


def cli_env(layout: Layout, home: Path) -> dict[str, str]:
    """The environment of `make run` for the project at `layout`, with its own Dagster instance."""
    home.mkdir(exist_ok=True)
    shutil.copy(REPO / "config" / "dagster.yaml", home / "dagster.yaml")
    return {**os.environ, "ENFORCEMENT_ROOT": str(layout.root), "DAGSTER_HOME": str(home)}


def start_run(layout: Layout, env: dict[str, str], *options: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines", "run", "--job", "rebuild_warehouse", *options],
        cwd=layout.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def seed_figures(layout: Layout) -> dict[str, float]:
    rows = query(layout, "SELECT figure_id, value FROM observations WHERE figure_id LIKE 'KAZ-2008-FIDH-%'")
    return dict(rows)


def latest_checks(layout: Layout, monkeypatch, home: str) -> dict[tuple[str, str], object]:
    """What the Dagster UI shows for each asset check: its latest execution record in the instance."""
    monkeypatch.setenv("DAGSTER_HOME", home)
    keys = list(build_definitions(layout).resolve_asset_graph().asset_check_keys)
    with dg.DagsterInstance.get() as instance:
        latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    return {(key.asset_key.to_user_string(), key.name): record for key, record in latest.items()}


def test_cli_run_with_a_bad_row_exits_non_zero_naming_it(built_copy, tmp_path, monkeypatch):
    set_cell(4, "value", "-5")(built_copy)
    before = fingerprint(built_copy)
    env = cli_env(built_copy, tmp_path / "home")
    done = start_run(built_copy, env)
    out, err = done.communicate(timeout=300)
    assert done.returncode == 1, out + err
    assert "FAILED. The last good warehouse and charts are unchanged." in err
    assert (
        "data/raw/figures/enforcement_figures.csv, row 4, column 'value': got '-5', expected a non-negative number"
    ) in err
    assert "Report: data/curated/validation/" in err
    assert fingerprint(built_copy) == before
    assert seed_figures(built_copy) == SEED
    assert not (built_copy.root / "gx").exists() and not (REPO / "gx").exists()
    checks = latest_checks(built_copy, monkeypatch, env["DAGSTER_HOME"])
    source = "figures_enforcement_figures"
    assert checks[(f"raw/{source}", "structure")].status.value == "SUCCEEDED"
    failed = checks[(f"staging/{source}", "cells_readable")]
    assert failed.status.value == "FAILED"
    metadata = failed.event.dagster_event.event_specific_data.metadata
    assert "| value_digits | value |" in metadata["failed_expectations"].value
    assert "row 4: '-5'" in metadata["failed_expectations"].value
    never_ran = checks[("observations", "observations_valid")].status.value  # the warehouse step was skipped
    assert never_ran in ("PLANNED", "SKIPPED"), never_ran


def test_killed_while_writing_the_warehouse_then_next_run_succeeds(built_copy, tmp_path):
    before = fingerprint(built_copy)
    run = start_run(built_copy, cli_env(built_copy, tmp_path / "home"))
    partial = None
    while run.poll() is None and partial is None:
        partial = next(built_copy.curated_dir.glob(".enforcement.duckdb.*.partial"), None)
        time.sleep(0.002)
    assert partial is not None, "the run finished before the warehouse write could be interrupted"
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    assert run.returncode == -signal.SIGKILL
    assert fingerprint(built_copy) == before  # the last good warehouse was never touched
    assert seed_figures(built_copy) == SEED
    result = materialise(built_copy)
    assert result.success, failure_text(result)
    assert query(
        built_copy, "SELECT count(*), count(DISTINCT figure_id) FROM observations WHERE source_id LIKE 'figures_%'"
    )[0] == (
        shipped_rows(),
        shipped_rows(),
    )
    assert seed_figures(built_copy) == SEED
    assert not list(built_copy.curated_dir.glob(".enforcement.duckdb.*"))  # the killed run's leftovers are gone


def test_a_lock_held_by_another_process_fails_fast_naming_it(built_copy):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "time.sleep(120)", str(built_copy.warehouse_path)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        before = fingerprint(built_copy)
        warehouse = build_definitions(built_copy).get_assets_def(dg.AssetKey("observations"))
        started = time.monotonic()
        result = dg.materialize([warehouse], instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
        assert time.monotonic() - started < 10
        assert not result.success
        message = failure_text(result)
        assert "enforcement.duckdb is locked by another process" in message
        assert f"PID {holder.pid}" in message
        assert fingerprint(built_copy) == before
    finally:
        holder.kill()
        holder.wait()


def test_two_runs_started_at_once_are_serialised_and_both_succeed(built_copy, tmp_path, monkeypatch):
    env = cli_env(built_copy, tmp_path / "home")
    # --all: the second run would otherwise find nothing stale and write nothing.
    runs = [start_run(built_copy, env, "--all") for _ in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, out + err
    assert sum("waiting for it to finish" in err for _, err in outputs) == 1
    run_ids = [out.split("Run ", 1)[1].split(" ", 1)[0] for out, _ in outputs]
    monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
    with dg.DagsterInstance.get() as instance:
        spans = []
        for run_id in run_ids:
            times = {
                entry.dagster_event.event_type_value: entry.timestamp
                for entry in instance.all_logs(run_id)
                if entry.dagster_event and entry.step_key == "warehouse"
            }
            spans.append((times["STEP_START"], times["STEP_SUCCESS"]))
    (_, first_end), (second_start, _) = sorted(spans)
    assert first_end <= second_start, f"warehouse writes overlapped: {spans}"
    assert seed_figures(built_copy) == SEED
    checks = latest_checks(built_copy, monkeypatch, env["DAGSTER_HOME"])
    assert {asset.split("/")[0] for asset, _ in checks} == {"raw", "staging", "observations", "comparisons"}
    assert checks[("observations", "observations_valid")].status.value == "SUCCEEDED"
    with duckdb.connect(str(built_copy.warehouse_path), read_only=True) as con:
        assert (
            con.execute("SELECT count(*) FROM observations WHERE source_id LIKE 'figures_%'").fetchone()[0]
            == shipped_rows()
        )
