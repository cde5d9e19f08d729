"""Profile one benchmarked path with pyinstrument: `.venv/bin/python bench/profile.py PATH [options]`.

    bench/profile.py load                        # importing the code location (building the Definitions)
    bench/profile.py run [--job rebuild_warehouse]  # one in-process run on a copy of data/raw
    bench/profile.py eurostat [--rows 1000000]   # the Eurostat path of bench/eurostat_scale.py
    bench/profile.py report                      # the report pack from a built project (after `make run`)

Prints the call tree (slowest branches first) and writes it as HTML to bench/results/. This is where a
missed target in `make bench` starts: the tree names the step to fix; `make bench` then measures the fix.
"""

import argparse
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pyinstrument import Profiler

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))


def profile_load(options) -> None:
    import pipelines.definitions  # noqa: F401


def profile_run(options) -> None:
    import dagster as dg
    import run as bench

    root = bench.project_copy()
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            bench.timed_pipeline(root, options.job, instance)
    finally:
        shutil.rmtree(root)


def profile_eurostat(options) -> None:
    import eurostat_scale

    scratch = Path(tempfile.mkdtemp(prefix="profile_eurostat_", dir=BENCH))
    try:
        cube = scratch / "cube.csv"
        eurostat_scale.generate(cube, options.rows)
        work = scratch / "work"
        work.mkdir()
        eurostat_scale.pipeline(cube, work)
    finally:
        shutil.rmtree(scratch)


def profile_report(options) -> None:
    from pipelines.layout import Layout, default_layout
    from pipelines.report.pack import build_report

    built = default_layout()
    if not built.warehouse_path.exists():
        raise SystemExit("No warehouse: run `make run` first.")
    with tempfile.TemporaryDirectory() as folder:
        copy = Layout(Path(folder))
        shutil.copytree(built.charts_dir, copy.charts_dir)
        copy.warehouse_path.parent.mkdir(parents=True)
        shutil.copy(built.warehouse_path, copy.warehouse_path)
        build_report(copy)


PATHS = {"load": profile_load, "run": profile_run, "eurostat": profile_eurostat, "report": profile_report}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", choices=PATHS)
    parser.add_argument("--job", default="rebuild_everything", help="run: the job to run")
    parser.add_argument("--rows", type=int, default=1_000_000, help="eurostat: cells in the generated cube")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    options = parser.parse_args()
    profiler = Profiler(interval=0.005)
    with profiler:
        PATHS[options.path](options)
    print(profiler.output_text(unicode=True, color=False))
    options.results.mkdir(parents=True, exist_ok=True)
    target = options.results / f"profile_{options.path}_{datetime.now(UTC):%Y%m%dT%H%M%SZ}.html"
    target.write_text(profiler.output_html(), encoding="utf-8")
    print(f"written: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
