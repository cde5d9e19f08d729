"""Command line: `python -m pipelines run` materialises every asset into the local Dagster instance."""

import argparse
import sys

import dagster as dg
import duckdb

from pipelines.layout import default_layout

JOB = "rebuild_everything"
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def _failure_messages(result: dg.ExecuteInProcessResult) -> list[str]:
    messages = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data:
            error = event.step_failure_data.error
            cause = error.cause.message.strip() if error and error.cause else ""
            description = (
                (event.step_failure_data.user_failure_data and event.step_failure_data.user_failure_data.description)
                or cause
                or (error.message if error else "")
            )
            messages.append(f"[{event.step_key}] {description.strip()}")
    return messages


def run() -> int:
    """Materialise everything; print where the warehouse and charts are, or exactly what failed."""
    from pipelines.definitions import defs

    layout = default_layout()
    result = defs.resolve_job_def(JOB).execute_in_process(
        run_config=QUIET_LOGS, instance=dg.DagsterInstance.get(), raise_on_error=False
    )
    if not result.success:
        print(f"Run {result.run_id} FAILED. The last good warehouse and charts are unchanged.", file=sys.stderr)
        for message in _failure_messages(result):
            print(message, file=sys.stderr)
        return 1
    print(f"Run {result.run_id} succeeded.")
    with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
        tables = con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
        print(f"Warehouse: {layout.relative(layout.warehouse_path)}")
        for (table,) in tables:
            print(f"  {table}: {con.execute(f'SELECT count(*) FROM {table}').fetchone()[0]} rows")
    print(f"Charts: {layout.relative(layout.charts_dir)}/")
    for path in sorted(layout.charts_dir.glob("*.*")):
        print(f"  {path.name}")
    print(f"Report: {layout.relative(layout.report_dir)}/")
    for path in sorted(layout.report_dir.glob("*.*")):
        print(f"  {path.name}")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__)
    parser.add_argument("command", choices=["run"], help="run: materialise every asset")
    parser.parse_args()
    sys.exit(run())


if __name__ == "__main__":
    main()
