"""Inserting many Python rows into DuckDB in one statement."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import lazy_loader as lazy

duckdb = lazy.load("duckdb", error_on_import=True)


def insert_columns(
    con: duckdb.DuckDBPyConnection,
    table: str,
    values: Mapping[str, Sequence[object]],
    computed: Mapping[str, str] | None = None,
) -> None:
    """Insert rows into `table` in one statement, given as one list of values per column (all of one length);
    `computed` gives columns an SQL expression instead, e.g. `current_timestamp`. DuckDB's `executemany` runs a
    statement per row, which takes seconds for a few thousand."""
    computed = computed or {}
    names = ", ".join(f'"{name}"' for name in [*values, *computed])
    selected = ", ".join(["unnest(?)"] * len(values) + list(computed.values()))
    con.execute(f"INSERT INTO {table} ({names}) SELECT {selected}", [list(column) for column in values.values()])


def texts(values: Iterable[object]) -> list[str | None]:
    """Values for a text column: each as its text, None kept as NULL."""
    return [None if value is None else str(value) for value in values]
