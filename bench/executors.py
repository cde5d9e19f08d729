"""Charts on both cores, two ways: a process pool inside each chart step (the project's choice: the in-process
executor, ENFORCEMENT_CHART_WORKERS=2) against Dagster's multiprocess executor running the chart steps two at a
time, each drawing its charts one by one (ENFORCEMENT_CHART_WORKERS=1). Alternates the two from empty
`assets/charts/` on a built project and prints the wall time of each run and the median ratio.

usage: ENFORCEMENT_ROOT=<built project> .venv/bin/python bench/executors.py [--repeat N]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

import dagster as dg

from pipelines.definitions import build_definitions
from pipelines.layout import default_layout

MODE_ENV = "BENCH_CHART_EXECUTOR"


def chart_job() -> dg.JobDefinition:
    """The chart assets as one job, on the executor BENCH_CHART_EXECUTOR names (reconstructed in each process)."""
    defs = build_definitions(default_layout())
    executor = (
        dg.multiprocess_executor.configured({"max_concurrent": 2})
        if os.environ.get(MODE_ENV) == "multiprocess"
        else dg.in_process_executor
    )
    job = dg.define_asset_job("charts_only", selection=dg.AssetSelection.groups("charts"), executor_def=executor)
    return dg.Definitions(assets=defs.assets, jobs=[job]).resolve_job_def("charts_only")


def timed_run(mode: str) -> float:
    """Wall seconds of drawing every chart from empty `assets/charts/` with `mode` ('pool' or 'multiprocess')."""
    layout = default_layout()
    shutil.rmtree(layout.charts_dir, ignore_errors=True)
    os.environ[MODE_ENV] = mode
    os.environ["ENFORCEMENT_CHART_WORKERS"] = "1" if mode == "multiprocess" else "2"
    with tempfile.TemporaryDirectory() as home, dg.DagsterInstance.local_temp(home) as instance:
        started = time.perf_counter()
        result = dg.execute_job(dg.reconstructable(chart_job), instance=instance)
        seconds = time.perf_counter() - started
    if not result.success:
        raise SystemExit(f"{mode}: the chart job failed")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="alternating pairs (median reported)")
    arguments = parser.parse_args()
    if not default_layout().warehouse_path.exists():
        print("No warehouse: run `make run` first.", file=sys.stderr)
        return 1
    pairs = []
    for _ in range(arguments.repeat):
        pairs.append((timed_run("pool"), timed_run("multiprocess")))
        print(f"pool {pairs[-1][0]:.1f} s, multiprocess executor {pairs[-1][1]:.1f} s", flush=True)
    ratio = statistics.median(pool / multi for pool, multi in pairs)
    print(f"pool / multiprocess executor: median {ratio:.2f}x over {len(pairs)} pairs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
