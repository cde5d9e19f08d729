"""Every benchmark against its performance goal: `make bench` (or `.venv/bin/python bench/run.py`).

    bench/run.py                                  # everything, full size (about an hour on 2 cores)
    bench/run.py --only loop,report --repeat 3    # some parts
    bench/run.py --only load,scale --rows 1000000 # chosen sizes
    bench/run.py --quick                          # smoke test: tiny sizes, one run per side
    bench/run.py --only tests --busy-neighbours   # make test on cores a busy neighbour slows down

The project is timed against the fixed yardsticks in ../shared/bench/, never against its own functions.
Parts: loop (`make run` from empty outputs, with nothing changed and after correcting one figure, against
`yardstick.py`, the plain script doing the core job), report (the report pack against `yardstick.py`),
charts (one chart in every format per core against `chart_floor.py`), load (importing the code location
vs `import dagster`, fresh interpreters), scale (`bench/eurostat_scale.py`: the Eurostat path vs DuckDB
alone) and tests (`make test` against `yardstick.py`; with --busy-neighbours on cores slowed as on a shared
host). Comparisons alternate the two sides and report the median of the per-pair ratios; prints one table
with each figure's target and a pass/miss mark, and writes the figures as JSON to bench/results/. Timings
on shared machines are noisy: compare ratios, not seconds.
"""

import argparse
import contextlib
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
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
YARDSTICKS = ROOT.parent / "shared" / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

PARTS = ["loop", "report", "charts", "load", "scale", "tests"]
SHEET = Path("data/raw/figures/enforcement_figures.csv")
# `make test` within 7 minutes on 2 cores, where the yardstick took 4.9 s (the host its target was set on).
TESTS_TARGET = round(7 * 60 / 4.9, 1)


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


def correct_figure(root: Path, figure_id: str, mark: int) -> None:
    """Correct one figure of the shipped sheet as an analyst would: its value goes up by one (so the charts
    that plot it and the comparisons it is part of change, the others do not) and its notes say so."""
    path = root / SHEET
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    row = next(row for row in rows[1:] if row[header.index("figure_id")] == figure_id)
    row[header.index("value")] = str(int(float(row[header.index("value")])) + 1)
    row[header.index("notes")] = f"Corrected (edit {mark})."
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def timed(command: list, env: dict | None = None, expect: str = "") -> tuple[float, str]:
    """Wall seconds and output of `command` in a fresh interpreter (start-up included, as an analyst waits for
    it); its output must contain `expect`."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - started
    if done.returncode or expect not in done.stdout:
        raise SystemExit(f"{' '.join(map(str, command))} failed or did not say {expect!r}:\n{done.stdout}{done.stderr}")
    return seconds, done.stdout


def wall(command: list, env: dict | None = None, expect: str = "") -> float:
    """Wall seconds of `command`, as `timed`."""
    return timed(command, env, expect)[0]


def yardstick(root: Path) -> Callable[[], float]:
    """The plain script on the project copy's figure sheets, writing into a scratch folder."""
    out = Path(tempfile.mkdtemp(prefix="yardstick_"))
    return lambda: wall([sys.executable, YARDSTICKS / "yardstick.py", root / SHEET.parent, out], expect="ratio=")


def project_env(root: Path) -> dict:
    """The environment of `make run` on the project copy at `root`, with its own Dagster home."""
    home = root / ".dagster"
    home.mkdir(exist_ok=True)
    shutil.copy(ROOT / "config" / "dagster.yaml", home / "dagster.yaml")
    return {**os.environ, "ENFORCEMENT_ROOT": str(root), "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)}


def loop_part(options) -> list[Figure]:
    """The analyst's loop, as `make run` does it (`python -m pipelines run`, a fresh interpreter each time, on
    a copy of the shipped data with its own Dagster home), against the plain script on the same sheets:
    from empty outputs (set-up done), again with nothing changed, and after correcting one figure."""
    root = project_copy()
    env, plain = project_env(root), yardstick(root)
    run = [sys.executable, "-m", "pipelines", "run"]
    marks = iter(range(10_000))

    def from_empty() -> float:
        for folder in ("assets/charts", "assets/report", "data/curated"):
            shutil.rmtree(root / folder, ignore_errors=True)
        return wall(run, env, expect="succeeded")

    def corrected() -> float:
        correct_figure(root, "KAZ-2008-FIDH-01", next(marks))
        return wall(run, env, expect="1 value changed")

    try:
        from_empty(), plain()  # warm-up: bytecode, font caches, the first build
        empty = alternate(from_empty, plain, options.repeat)
        unchanged = alternate(lambda: wall(run, env, expect="Nothing was stale"), plain, options.repeat)
        edited = alternate(corrected, plain, options.repeat)
        charts = len(list((root / "assets" / "charts").glob("*.svg")))
    finally:
        shutil.rmtree(root)
    sides = ("make_run", "yardstick")
    return [
        compared(f"make run from empty outputs ({charts} charts) / yardstick", 10.0, empty, sides),
        compared("make run, nothing changed / yardstick", 1.0, unchanged, sides),
        compared("make run after correcting one figure / yardstick", 2.0, edited, sides),
    ]


def report_part(options) -> list[Figure]:
    """The whole report pack (`python -m pipelines report`, every format) against the plain script."""
    root = project_copy()
    env, plain = project_env(root), yardstick(root)
    out = root / "report_out"
    try:
        wall([sys.executable, "-m", "pipelines", "run"], env, expect="succeeded")
        pack = [sys.executable, "-m", "pipelines", "report", "--out", str(out)]
        wall(pack, env), plain()  # warm-up
        measured = alternate(lambda: wall(pack, env), plain, options.repeat)
        sizes = {path.name: round(path.stat().st_size / 1e6, 2) for path in out.glob("*.*")}
    finally:
        shutil.rmtree(root)
    return [compared("report pack (every format) / yardstick", 5.0, measured, ("report", "yardstick"), mb=sizes)]


def charts_part(options) -> list[Figure]:
    """Drawing one chart (every format, one process, one core) against the plain floor chart, alternating
    `bench/charts.py` on a built project with `chart_floor.py`; per-step times printed by bench/charts.py."""
    root = project_copy()
    env = project_env(root)
    floor_out = Path(tempfile.mkdtemp(prefix="chart_floor_"))
    suites: list[str] = []

    def project_side() -> float:
        command = [sys.executable, BENCH / "charts.py", "--limit", "1" if options.quick else "0"]
        suites.append(subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=True).stdout)
        found = re.search(r"(\d+) charts: suite ([\d.]+) s", suites[-1])
        return float(found[2]) / int(found[1])

    def floor_side() -> float:
        out = subprocess.run([sys.executable, YARDSTICKS / "chart_floor.py", floor_out, "30"], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
        return float(re.search(r"per_chart=([\d.]+)", out)[1])

    try:
        wall([sys.executable, "-m", "pipelines", "run"], env, expect="succeeded")
        project_side(), floor_side()  # warm-up
        measured = alternate(project_side, floor_side, options.repeat)
    finally:
        shutil.rmtree(root)
        shutil.rmtree(floor_out)
    print(suites[-1])
    return [compared("one chart, every format, per core / chart_floor.py", 1.5, measured, ("chart", "floor"))]


@contextlib.contextmanager
def busy_neighbours(enabled: bool = True) -> Iterator[list[subprocess.Popen]]:
    """While the block runs, a busy process pinned to each core at this process's priority (Linux): whatever
    else runs on a core gets about half of it, as on a host whose neighbours keep its cores busy."""
    if not enabled:
        yield []
        return
    neighbours = []
    try:
        for core in sorted(os.sched_getaffinity(0)):
            neighbours.append(subprocess.Popen([sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL))
            os.sched_setaffinity(neighbours[-1].pid, {core})
        yield neighbours
    finally:
        for neighbour in neighbours:
            neighbour.kill()
            neighbour.wait()


def tests_part(options) -> list[Figure]:
    """`make test` (the README's command: every test, both cores) against the plain script, alternating; with
    --busy-neighbours both sides run on cores slowed by `busy_neighbours`. `--quick` runs one small module."""
    plain = yardstick(ROOT)
    command = ["make", "test"]
    if options.quick:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_exports.py"]
    counts: list[str] = []

    def tests() -> float:
        seconds, out = timed(command, expect=" passed")
        counts.append(re.search(r"(\d+) passed", out)[1])
        return seconds

    with busy_neighbours(options.busy_neighbours):
        if not options.quick:
            plain()  # warm-up: bytecode and file caches
        measured = alternate(tests, plain, options.repeat)
    where = ", busy neighbours" if options.busy_neighbours else ""
    name = f"make test ({counts[-1]} tests{where}) / yardstick"
    return [compared(name, TESTS_TARGET, measured, ("tests", "yardstick"), command=" ".join(command))]


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
    parser.add_argument("--repeat", type=int, default=3, help="alternating pairs of runs (at least 3)")
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000], help="scale sizes")
    parser.add_argument("--quick", action="store_true", help="smoke test: one run per side, tiny sizes")
    parser.add_argument("--busy-neighbours", action="store_true", help="tests: a busy process on every core")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    options = parser.parse_args(argv)
    parts = [part.strip() for part in options.only.split(",") if part.strip()]
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    if options.quick:
        options.repeat, options.rows = 1, [20_000, 60_000]
    elif options.repeat < 3:
        parser.error("--repeat must be at least 3 (use --quick for a smoke test)")

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
