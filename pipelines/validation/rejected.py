"""Rejected rows are kept, never dropped: per source in `data/curated/rejected/<source_id>.csv` (the last run's
refusals, which the warehouse turns into its `rejected_rows` table) and appended to the log
`data/curated/rejected.duckdb` (table `rejected_rows`), which also records runs that were stopped and so never
touched the warehouse."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import lazy_loader as lazy

from pipelines.exports import FORMULA_STARTS, write_csv
from pipelines.layout import Layout
from pipelines.problems import Problem
from pipelines.rows import insert_columns, texts

duckdb = lazy.load("duckdb", error_on_import=True)

REJECTED_COLUMNS = ("file", "row", "column", "value", "reason", "run_id", "source_id")
LOG_SQL = "CREATE TABLE IF NOT EXISTS rejected_rows (" + ", ".join(f'"{c}" VARCHAR' for c in REJECTED_COLUMNS)
LOG_SQL += ", recorded_at TIMESTAMPTZ DEFAULT current_timestamp)"
LOCK_WAIT_SECONDS = 10


def rejected_file(layout: Layout, source_id: str) -> Path:
    """Where a source's rejected rows of the last run are."""
    return layout.rejected_dir / f"{source_id}.csv"


def record_rejected(layout: Layout, source_id: str, problems: list[Problem], run_id: str) -> Path | None:
    """Keep the rows a source's staging refused: replace its CSV and append them to the log.

    With no problems, the source's CSV is removed (the log keeps the history).
    """
    target = rejected_file(layout, source_id)
    if not problems:
        target.unlink(missing_ok=True)
        return None
    rows = [
        {"file": p.file, "row": p.row, "column": p.column, "value": p.value, "reason": "expected " + p.expected,
         "run_id": run_id, "source_id": source_id}
        for p in problems
    ]  # fmt: skip
    write_csv(target, list(REJECTED_COLUMNS), rows)
    _append_to_log(layout.rejected_log_path, rows)
    return target


def _append_to_log(path: Path, rows: list[dict[str, object]]) -> None:
    """Append to the log, waiting a little if another run is appending at the same moment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            with duckdb.connect(str(path)) as con:
                con.execute(LOG_SQL)
                values = {c: texts(row[c] for row in rows) for c in REJECTED_COLUMNS}
                insert_columns(con, "rejected_rows", values)
            return
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _as_in_source(name: str) -> str:
    """A column of the CSV with the apostrophe `pipelines.exports.safe_cell` put before a formula removed."""
    return (
        f'CASE WHEN starts_with("{name}", chr(39)) AND list_contains(?, "{name}"[2]) '
        f'THEN "{name}"[2:] ELSE "{name}" END'
    )


def _select_one_file(path: Path, run_id: str) -> tuple[str, list]:
    """The rows of one rejected CSV in the table's columns, whatever subset of them the file has."""
    with path.open(encoding="utf-8", newline="") as handle:
        present = set(next(csv.reader(handle), []))
    expressions, parameters = [], []
    for name in REJECTED_COLUMNS:
        if name == "run_id":  # written by an earlier step, or this build's run
            expressions.append('coalesce("run_id", ?)' if name in present else "?")
            parameters.append(run_id)
        elif name in present:
            expressions.append(_as_in_source(name))
            parameters.append(list(FORMULA_STARTS))
        elif name == "source_id":
            expressions.append("?")
            parameters.append(path.stem)
        else:
            expressions.append("NULL")
    columns = ", ".join(
        f'{expression} AS "{name}"' for expression, name in zip(expressions, REJECTED_COLUMNS, strict=True)
    )
    return f"SELECT {columns} FROM read_csv(?, all_varchar = true, header = true)", [*parameters, str(path)]


def rejected_table_sql(layout: Layout, run_id: str) -> tuple[str, list]:
    """SQL creating the warehouse's `rejected_rows` from every source's rejected CSV.

    A CSV needs only `file,row,column,value,reason`: the run id is this build's and the source id the file's
    name when they are missing. The CSVs are written for spreadsheets (text that would start a formula gets an
    apostrophe); the table holds the values as they were in the source.
    """
    columns = ", ".join(f'"{c}" VARCHAR' for c in REJECTED_COLUMNS)
    selects = [_select_one_file(path, run_id) for path in sorted(layout.rejected_dir.glob("*.csv"))]
    if not selects:
        return f"CREATE TABLE rejected_rows ({columns})", []
    union = " UNION ALL ".join(sql for sql, _ in selects)
    return (
        f"CREATE TABLE rejected_rows AS SELECT * FROM ({union}) "
        "ORDER BY source_id, file, try_cast(row AS INTEGER), row",
        [parameter for _, parameters in selects for parameter in parameters],
    )
