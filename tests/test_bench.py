"""Smoke test of the chart benchmark: it runs on a built project (the small sample one) and prints its table
(timings not checked)."""

import importlib.util
import json
import os
import subprocess
import sys
import time

import psutil

from conftest import REPO


def test_chart_benchmark_runs_and_prints_a_table(small):
    env = {**os.environ, "ENFORCEMENT_ROOT": str(small.root)}
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "charts.py"), "--limit", "1"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "headline_kaz_2008" in out.stdout and "charts: suite" in out.stdout
    assert "report pack" in out.stdout and "Type 42 / Type 3" in out.stdout


def test_benchmark_runner_runs_the_cheap_parts_and_writes_json(tmp_path):
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--only", "load,scale,tests", "--results",
         str(tmp_path)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "code location load / import dagster" in out.stdout and "peak RSS growth" in out.stdout
    (written,) = tmp_path.glob("bench_*.json")
    figures = json.loads(written.read_text())["figures"]
    assert {figure["name"].split(",")[0] for figure in figures} >= {"Eurostat path / DuckDB alone", "peak RSS"}
    assert "make test (3 tests) / yardstick" in {figure["name"] for figure in figures}
    assert all(figure["value"] > 0 for figure in figures)


def test_profiler_names_the_code_location_and_writes_html(tmp_path):
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "profile.py"), "load", "--results", str(tmp_path)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "build_definitions" in out.stdout and "pipelines/definitions.py" in out.stdout
    (written,) = tmp_path.glob("profile_load_*.html")
    assert "pyinstrument" in written.read_text(encoding="utf-8").lower()


def test_busy_neighbours_keep_each_core_busy_while_the_block_runs():
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    with bench.busy_neighbours() as neighbours:
        processes = [psutil.Process(neighbour.pid) for neighbour in neighbours]
        assert [process.cpu_affinity() for process in processes] == [[core] for core in sorted(os.sched_getaffinity(0))]
        deadline = time.monotonic() + 60  # on a loaded machine a neighbour gets its share later
        while not all(sum(process.cpu_times()[:2]) > 0.2 for process in processes):
            assert time.monotonic() < deadline, "a neighbour did not keep its core busy"
            time.sleep(0.1)
    assert all(neighbour.poll() is not None for neighbour in neighbours)
