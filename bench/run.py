"""Every benchmark against its performance goal: `make bench` (or `.venv/bin/python bench/run.py`).

    bench/run.py                                  # everything, full size (about 45 minutes on 2 cores)
    bench/run.py --only load,scale --rows 1000000 # some parts, chosen sizes
    bench/run.py --only pipeline --scope warehouse --repeat 5   # pipeline vs peer without the charts
    bench/run.py --quick                          # smoke test: tiny sizes, one run per side

Parts: pipeline (the `rebuild_everything` run in process vs `bench/peer.py`), load (importing the code
location vs `import dagster`, fresh interpreters), scale (`bench/eurostat_scale.py`: the Eurostat path vs
DuckDB alone), incremental (after editing one figure sheet, re-running what it feeds vs the full run) and
charts (`bench/charts.py`: time per chart). Comparisons alternate the two sides and report the median of
the per-pair ratios; prints one table with each figure's target and a pass/miss mark, and writes the figures
as JSON to bench/results/. Timings on shared machines are noisy: compare ratios, not seconds.
"""

import argparse
import csv
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

PARTS = ["pipeline", "load", "scale", "incremental", "charts"]
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
JOBS = {"everything": "rebuild_everything", "warehouse": "rebuild_warehouse"}
SHEET = Path("data/raw/figures/enforcement_figures.csv")


class Figure(dict):
    """One line of the table: a measured value, its target (value <= target passes) and the evidence."""

    def __init__(self, name: str, value: float, target: float | None, unit: str = "x", **details):
        passed = None if target is None else value <= target
        super().__init__(name=name, value=value, target=target, unit=unit, passed=passed, **details)


def alternate(first: Callable[[], float], second: Callable[[], float], repeat: int) -> dict:
    """Run the two sides in turn `repeat` times; medians of each side and of the per-pair ratios first/second."""
    pairs = [(first(), second()) for _ in range(repeat)]
    return {
        "first_s": statistics.median(a for a, _ in pairs),
        "second_s": statistics.median(b for _, b in pairs),
        "ratio": statistics.median(a / b for a, b in pairs),
        "runs": pairs,
    }


def compared(name: str, target: float, measured: dict, sides: tuple[str, str], **details) -> Figure:
    """The figure of an `alternate` comparison: the median ratio, each side's median under its name, the runs."""
    first, second = sides
    return Figure(
        name,
        measured["ratio"],
        target,
        **{f"{first}_s": measured["first_s"], f"{second}_s": measured["second_s"]},
        runs=measured["runs"],
        **details,
    )


def project_copy() -> Path:
    """A temporary checkout holding a copy of the shipped data/raw."""
    root = Path(tempfile.mkdtemp(prefix="bench_project_"))
    shutil.copytree(ROOT / "data" / "raw", root / "data" / "raw")
    return root


def timed_pipeline(root: Path, job: str, instance, asset_selection=None) -> float:
    """Seconds of one in-process run of `job` on the checkout at `root` (definitions built beforehand)."""
    from pipelines.definitions import build_definitions
    from pipelines.layout import Layout

    definition = build_definitions(Layout(root)).resolve_job_def(job)
    started = time.perf_counter()
    result = definition.execute_in_process(
        run_config=QUIET, instance=instance, raise_on_error=False, asset_selection=asset_selection
    )
    seconds = time.perf_counter() - started
    if not result.success:
        raise SystemExit(f"{job} failed on {root}")
    return seconds


def outputs(root: Path) -> tuple:
    """What a run produced: rows per warehouse table and the chart files, to check both sides did the same work."""
    import duckdb

    from pipelines.layout import Layout
    from pipelines.warehouse import ANALYST_TABLES

    layout = Layout(root)
    with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
        rows = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ANALYST_TABLES}
    return rows, sorted(path.name for path in layout.charts_dir.glob("*.svg"))


def pipeline_part(options) -> list[Figure]:
    """The pipeline run against the plain script, both in this (warm) process on fresh copies of data/raw."""
    import dagster as dg
    import peer

    from pipelines.layout import Layout

    job, with_charts = JOBS[options.scope], options.scope == "everything"
    produced: list[tuple] = []

    def dagster_side() -> float:
        root = project_copy()
        try:
            with dg.DagsterInstance.ephemeral() as instance:
                seconds = timed_pipeline(root, job, instance)
            produced.append(outputs(root))
            return seconds
        finally:
            shutil.rmtree(root)

    def peer_side() -> float:
        root = project_copy()
        try:
            started = time.perf_counter()
            peer.run_peer(Layout(root), charts=with_charts)
            seconds = time.perf_counter() - started
            if outputs(root) != produced[-1]:
                raise SystemExit(f"the peer's output differs from the pipeline's: {outputs(root)} {produced[-1]}")
            return seconds
        finally:
            shutil.rmtree(root)

    dagster_side(), peer_side()  # warm-up: imports, GX context, font caches
    measured = alternate(dagster_side, peer_side, options.repeat)
    return [compared(f"pipeline ({job}) / plain script", 1.2, measured, ("pipeline", "peer"))]


def fresh_import(statement: str) -> float:
    """Seconds `statement` takes in a fresh interpreter (timed inside it: interpreter start-up left out).

    Bytecode is written and read as in a deployment (PYTHONDONTWRITEBYTECODE is dropped), so after the
    warm-up both sides load compiled modules: dagster's were compiled when the environment was installed.
    """
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=ROOT)
    return float(out.stdout.strip().splitlines()[-1])


def load_part(options) -> list[Figure]:
    """Importing the code location (which builds the Definitions) against importing dagster alone."""
    definitions, dagster = (
        (lambda: fresh_import("import pipelines.definitions")),
        (lambda: fresh_import("import dagster")),
    )
    definitions(), dagster()  # warm-up: bytecode and file caches
    measured = alternate(definitions, dagster, options.repeat)
    return [compared("code location load / import dagster", 1.5, measured, ("definitions", "dagster"))]


def scale_part(options) -> list[Figure]:
    """The Eurostat path against DuckDB alone at each size, with bench/eurostat_scale.py's runners."""
    import eurostat_scale

    figures, peaks = [], {}
    scratch = Path(tempfile.mkdtemp(prefix="eurostat_scale_", dir=BENCH))
    try:
        for rows in options.rows:
            csv_file = scratch / f"cube_{rows}.csv"
            cells = eurostat_scale.generate(csv_file, rows)
            results: list[tuple[dict, dict]] = []

            def real(results=results, csv_file=csv_file) -> float:
                results.append((eurostat_scale.measured("pipeline", csv_file), {}))
                return results[-1][0]["wall"]

            def base(results=results, csv_file=csv_file) -> float:
                results[-1] = (results[-1][0], eurostat_scale.measured("baseline", csv_file))
                return results[-1][1]["wall"]

            measured = alternate(real, base, options.repeat)
            for pipeline_run, baseline_run in results:
                assert pipeline_run["loaded"] == baseline_run["loaded"], (pipeline_run, baseline_run)
            peaks[cells] = max(r["peak_rss_mb"] for r, _ in results)
            steps = {step: statistics.median(r["times"][step] for r, _ in results) for step in results[0][0]["times"]}
            figures.append(
                compared(
                    f"Eurostat path / DuckDB alone, {cells:,} cells",
                    1.5,
                    measured,
                    ("pipeline", "duckdb"),
                    pipeline_steps_s=steps,
                    pipeline_imports_s=statistics.median(r["imports_s"] for r, _ in results),
                )
            )
            figures.append(
                Figure(
                    f"peak RSS, {cells:,} cells",
                    peaks[cells],
                    600 if rows >= 5_000_000 else None,
                    unit="MB",
                    baseline_mb=max(b["peak_rss_mb"] for _, b in results),
                )
            )
            csv_file.unlink()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if len(peaks) > 1:
        small, large = min(peaks), max(peaks)
        figures.append(Figure(f"peak RSS growth {small:,} -> {large:,} cells", peaks[large] / peaks[small], 1.3))
    return figures


def edit_sheet(root: Path, mark: int) -> None:
    """Correct one figure of the shipped sheet (the first row's value, Kazakhstan 2008 arrests), as an analyst
    would: the charts that plot it and the comparisons it is part of change, the others do not."""
    path = root / SHEET
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("value")
    rows[1][column] = str(int(rows[1][column]) + 1)
    rows[1][rows[0].index("notes")] = f"Corrected (edit {mark})."
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def incremental_part(options) -> list[Figure]:
    """After editing one sheet, materialise the edited raw asset and everything downstream of it against the
    full run, both on one persistent temporary instance.

    Dagster cannot see the edit by itself (the raw asset's data version is the file's sha256, computed when it
    runs), so the stale set is the edited raw asset and its downstream assets: its staging, the warehouse, and
    (with `--scope everything`) every chart asset and the report, since they all read the warehouse. Within a
    chart asset only the charts whose fingerprint changed are redrawn; the full run starts from an empty
    assets/charts/, as on a fresh clone, so it draws every chart.
    """
    import dagster as dg

    from pipelines.assets.sources import raw_key
    from pipelines.definitions import build_definitions
    from pipelines.layout import Layout
    from pipelines.sheets import source_id_for

    job = JOBS[options.scope]
    root = project_copy()
    home = Path(tempfile.mkdtemp(prefix="bench_dagster_home_"))
    try:
        with dg.DagsterInstance.local_temp(str(home), overrides={"telemetry": {"enabled": False}}) as instance:
            defs = build_definitions(Layout(root))
            graph = defs.resolve_asset_graph()
            in_job = defs.resolve_job_def(job).asset_layer.executable_asset_keys
            stale = dg.AssetSelection.assets(raw_key(source_id_for(root / SHEET))).downstream()
            selection = sorted(stale.resolve(graph) & in_job)
            timed_pipeline(root, job, instance)  # the first full run (and warm-up)
            marks = iter(range(10_000))

            def incremental() -> float:
                edit_sheet(root, next(marks))
                return timed_pipeline(root, job, instance, asset_selection=selection)

            def full() -> float:
                shutil.rmtree(Layout(root).charts_dir, ignore_errors=True)
                return timed_pipeline(root, job, instance)

            measured = alternate(incremental, full, options.repeat)
    finally:
        shutil.rmtree(root)
        shutil.rmtree(home)
    return [
        compared(
            f"incremental ({len(selection)} of {len(in_job)} assets) / full {job}",
            0.6,
            measured,
            ("incremental", "full"),
            assets=[key.to_user_string() for key in selection],
        )
    ]


def charts_part(options) -> list[Figure]:
    """bench/charts.py on a project built by one full run: seconds per chart and for the report pack."""
    import dagster as dg

    root = project_copy()
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            timed_pipeline(root, "rebuild_everything", instance)
        command = [sys.executable, str(BENCH / "charts.py"), "--repeat", str(options.chart_repeat)]
        if options.quick:
            command += ["--limit", "1"]
        env = {**os.environ, "ENFORCEMENT_ROOT": str(root), "PYTHONPATH": str(ROOT)}
        out = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=True).stdout
    finally:
        shutil.rmtree(root)
    print(out)
    suite = re.search(r"(\d+) charts: suite ([\d.]+) s, median ([\d.]+) s per chart, slowest ([\d.]+) s", out)
    report = re.search(r"report pack .*: ([\d.]+) s", out)
    charts, suite_s, median_s, slowest_s = int(suite[1]), float(suite[2]), float(suite[3]), float(suite[4])
    return [
        Figure(f"chart suite, {charts} charts", suite_s, None, unit="s"),
        Figure("median per chart", median_s, None, unit="s", slowest_s=slowest_s),
        Figure("report pack", float(report[1]), None, unit="s"),
    ]


def machine() -> dict:
    memory = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    return {
        "cpus": os.cpu_count(),
        "memory": memory.split(":")[1].strip(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def print_table(figures: list[Figure]) -> None:
    print(f"\n{'figure':<58} {'value':>10} {'target':>10}  mark    medians")
    for figure in figures:
        target = "" if figure["target"] is None else f"<= {figure['target']:g}{figure['unit']}"
        mark = {True: "pass", False: "MISS", None: "(info)"}[figure["passed"]]
        sides = ", ".join(f"{k[:-2]} {v:.2f}s" for k, v in figure.items() if k.endswith("_s") and isinstance(v, float))
        print(f"{figure['name']:<58} {figure['value']:>9.2f}{figure['unit']:<1} {target:>10}  {mark:<6}  {sides}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of: {', '.join(PARTS)}")
    parser.add_argument("--repeat", type=int, default=5, help="alternating runs of each side (at least 5)")
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000], help="scale sizes")
    parser.add_argument("--scope", choices=JOBS, default="everything", help="pipeline/incremental: with charts?")
    parser.add_argument("--chart-repeat", type=int, default=1, help="times bench/charts.py draws the suite")
    parser.add_argument("--quick", action="store_true", help="smoke test: one run per side, tiny sizes")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    options = parser.parse_args(argv)
    parts = [part.strip() for part in options.only.split(",") if part.strip()]
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    if options.quick:
        options.repeat, options.rows = 1, [20_000, 60_000]
    elif options.repeat < 5:
        parser.error("--repeat must be at least 5 (use --quick for a smoke test)")

    figures: list[Figure] = []
    for part in parts:
        started = time.perf_counter()
        print(f"== {part} ...", flush=True)
        figures += globals()[f"{part}_part"](options)
        print(f"== {part} done in {time.perf_counter() - started:.0f} s", flush=True)
    print_table(figures)
    options.results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = options.results / f"bench_{stamp}.json"
    record = {
        "when": stamp,
        "machine": machine(),
        "options": {**vars(options), "results": str(options.results)},
        "figures": figures,
    }
    target.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    print(f"\nwritten: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
