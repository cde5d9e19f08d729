"""The warehouse table `eurostat_detail`: every usable cell of every staged Eurostat cube, read by DuckDB."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import lazy_loader as lazy

duckdb = lazy.load("duckdb", error_on_import=True)


EMPTY_DETAIL = """
CREATE TABLE eurostat_detail (source_id VARCHAR, dataset VARCHAR, geo VARCHAR, time VARCHAR, jurisdiction VARCHAR,
    period_start DATE, period_end DATE, value DOUBLE, flags VARCHAR, cell VARCHAR)
"""


def detail_files(staged_parquets: Iterable[Path]) -> list[Path]:
    """The detail cubes staged beside the sources' observation files (`<source_id>.detail.parquet`)."""
    candidates = (parquet.with_name(parquet.stem + ".detail.parquet") for parquet in staged_parquets)
    return [path for path in candidates if path.exists()]


def load_detail(con: duckdb.DuckDBPyConnection, staged_parquets: Iterable[Path]) -> None:
    """Create `eurostat_detail` (one column per dimension across datasets) from the staged cubes' good cells."""
    files = detail_files(staged_parquets)
    if not files:
        con.execute(EMPTY_DETAIL)
        return
    con.execute(
        "CREATE TABLE eurostat_detail AS SELECT * EXCLUDE (problem, refused_value) "
        "FROM read_parquet(?, union_by_name = true) WHERE problem IS NULL",
        [[str(path) for path in files]],
    )
