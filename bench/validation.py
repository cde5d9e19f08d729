"""How much time validation adds: Great Expectations import, the checks on the shipped sheets against a whole
run, and a generated observations table validated in DuckDB SQL (1M rows) vs GX on pandas (a smaller size).

    .venv/bin/python bench/validation.py                      # full size (about a minute on 2 cores)
    .venv/bin/python bench/validation.py --rows 20000 --gx-rows 5000 --quick   # quick look

Figures are printed, not asserted; compare runs made in the same session on the same machine.
"""

import argparse
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from pipelines import sheets
from pipelines.definitions import build_definitions
from pipelines.layout import Layout
from pipelines.schema import OBSERVATION_COLUMNS
from pipelines.validation.rules import observation_suite, sheet_cells_suite, sheet_structure_suite
from pipelines.validation.sql import validate_table
from pipelines.validation.warehouse_checks import warehouse_checks

REPO = Path(__file__).resolve().parent.parent
SHEET = REPO / "data/raw/figures/enforcement_figures.csv"

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
GENERATED_SQL = """
CREATE OR REPLACE TABLE generated AS
SELECT 'F' || i AS figure_id, 'bench' AS source_id,
       (['KAZ', 'RUS', 'DEU', 'FRA', 'EU27'])[1 + i % 5] AS jurisdiction, NULL::VARCHAR AS subdivision,
       make_date(2000 + (i % 25)::INTEGER, 1, 1) AS period_start,
       make_date(2000 + (i % 25)::INTEGER, 12, 31) AS period_end,
       CASE WHEN i % 2 = 0 THEN 'migrants' ELSE 'employers' END AS target_group,
       CASE WHEN i % 2 = 0 THEN 'arrested' ELSE 'fined' END AS measure,
       CASE WHEN i % 1000 = 7 THEN -1 ELSE i % 10000 END::DOUBLE AS value,
       CASE WHEN i % 2 = 0 THEN 'persons' ELSE 'employers' END AS unit, NULL::VARCHAR AS breakdown,
       'exact' AS qualifier, 'Bench' AS publisher, 'official_statistics' AS source_type,
       'Bench table' AS source_title, 'https://example.org/t/' || i AS source_url, NULL::VARCHAR AS published_date,
       'quoted passage' AS quote, 'en' AS language, NULL::VARCHAR AS notes,
       'bench row ' || (i + 2) AS locator, NULL::VARCHAR AS flags,
       'bench.csv' AS _file, (i + 2)::VARCHAR AS _row
FROM range(?) t(i)
"""


def timed(function, *args):
    started = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - started, value


def import_seconds() -> float:
    """Great Expectations' import in a fresh interpreter (what the first check of a run pays)."""
    code = "import time, os; os.environ['GX_ANALYTICS_ENABLED']='false'; t=time.perf_counter(); "
    code += "import great_expectations; print(time.perf_counter()-t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def shipped_sheet_checks(today: date) -> dict[str, float]:
    """Seconds per stage of checks on the shipped sheet (GX context already created)."""
    from pipelines.validation.expectations import validate_frame

    cells = sheets.read_sheet(SHEET, "sheet.csv")
    typed = sheets.to_observations(cells, "figures")
    figures = {
        "raw: structure (GX)": (
            validate_frame,
            cells,
            sheet_structure_suite(sheets.expected_columns(cells)),
            "sheet.csv",
        ),
        "staging: cells (GX)": (validate_frame, cells, sheet_cells_suite(sheets.text_columns(cells)), "sheet.csv"),
        "staging: observations (GX)": (validate_frame, typed, observation_suite(today), "sheet.csv"),
    }
    seconds = {name: timed(function, *args)[0] for name, (function, *args) in figures.items()}
    with duckdb.connect() as con:
        con.register("typed", typed.drop(columns=["_file", "_row"]))
        con.execute("CREATE TABLE observations AS SELECT * FROM typed")
        con.execute("CREATE TABLE sources AS SELECT 'figures' AS source_id, 'sheet.csv' AS raw_path")
        con.execute("CREATE TABLE comparisons AS SELECT [NULL, NULL]::VARCHAR[] AS figure_ids LIMIT 0")
        con.execute(
            "CREATE TABLE conflicts (jurisdiction VARCHAR, subdivision VARCHAR, period_start DATE, period_end DATE, "
            "measure VARCHAR, unit VARCHAR, breakdown VARCHAR, preferred_figure_id VARCHAR, other_figure_id VARCHAR, "
            "resolved_by VARCHAR)"
        )
        seconds["warehouse: all checks (SQL)"] = timed(warehouse_checks, con, today)[0]
    seconds["parsing without checks"] = timed(lambda: sheets.to_observations(sheets.read_sheet(SHEET, "s"), "f"))[0]
    return seconds


def whole_run_seconds() -> float:
    """One materialisation of the shipped data, as `make run` does (in a temporary copy)."""
    with tempfile.TemporaryDirectory() as root:
        shutil.copytree(REPO / "data" / "raw", Path(root) / "data" / "raw")
        job = build_definitions(Layout(Path(root))).resolve_job_def("rebuild_everything")
        with dg.DagsterInstance.ephemeral() as instance:
            seconds, result = timed(
                lambda: job.execute_in_process(run_config=QUIET, instance=instance, raise_on_error=False)
            )
        assert result.success
    return seconds


def generated_table(rows: int, gx_rows: int, today: date) -> list[tuple[str, int, float]]:
    """(backend, rows, seconds) for the observation suite on a generated table."""
    from pipelines.validation.expectations import validate_frame

    suite = observation_suite(today)
    figures = []
    with duckdb.connect() as con:
        for size in sorted({gx_rows, rows}):
            con.execute(GENERATED_SQL, [size])
            seconds, results = timed(validate_table, con, "generated", suite)
            assert sum(r.failed for r in results) == sum(1 for i in range(size) if i % 1000 == 7)
            figures.append(("DuckDB SQL", size, seconds))
        con.execute(GENERATED_SQL, [gx_rows])
        frame = con.execute(f"SELECT {', '.join(OBSERVATION_COLUMNS)}, _file, _row FROM generated").df()
    seconds, _ = timed(validate_frame, frame, suite, "bench.csv")
    figures.append(("GX on pandas", gx_rows, seconds))
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="generated rows validated in DuckDB SQL")
    parser.add_argument("--gx-rows", type=int, default=100_000, help="generated rows validated by GX on pandas")
    parser.add_argument(
        "--quick", action="store_true", help="skip the slow baselines: GX import in a fresh interpreter, a whole run"
    )
    options = parser.parse_args(argv)
    today = date.today()
    os.environ["GX_ANALYTICS_ENABLED"] = "false"

    if not options.quick:
        print(f"Great Expectations import (fresh interpreter): {import_seconds():.2f} s")
    print(f"Great Expectations import (this process): {timed(importlib.import_module, 'great_expectations')[0]:.2f} s")
    from pipelines.validation.expectations import _batch_definition

    print(f"GX ephemeral context, created once per process: {timed(_batch_definition)[0]:.2f} s\n")

    checks = shipped_sheet_checks(today)
    total = sum(v for k, v in checks.items() if k != "parsing without checks")
    print(f"Checks on the shipped sheet ({len(sheets.read_sheet(SHEET, 'sheet.csv'))} rows):")
    print(f"  {'stage':<32} {'seconds':>8}")
    for name, seconds in checks.items():
        print(f"  {name:<32} {seconds:>8.3f}")
    print(f"  {'all checks':<32} {total:>8.3f}  ({total / checks['parsing without checks']:.0f}x the parsing)")
    if not options.quick:
        run = whole_run_seconds()
        print(f"  {'whole run (make run)':<32} {run:>8.3f}  (checks are {total / run:.0%} of it, import excluded)")

    figures = generated_table(options.rows, options.gx_rows, today)
    sql_rate = {rows: rows / seconds for backend, rows, seconds in figures if backend == "DuckDB SQL"}
    print("\nObservation suite on a generated table (0.1% bad rows):")
    print(f"  {'backend':<14} {'rows':>10} {'seconds':>9} {'rows/s':>12} {'SQL is x faster':>16}")
    for backend, rows, seconds in figures:
        speedup = sql_rate[rows] / (rows / seconds) if rows in sql_rate else float("nan")
        print(f"  {backend:<14} {rows:>10,} {seconds:>9.3f} {rows / seconds:>12,.0f} {speedup:>16.1f}")


if __name__ == "__main__":
    main()
