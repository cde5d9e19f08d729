"""The DuckDB warehouse: built whole in a new file, checked, then swapped in for the last good one."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import lazy_loader as lazy

from pipelines import vocabulary
from pipelines.changes import create_changes_table
from pipelines.eurostat.detail import load_detail
from pipelines.files import replaced_on_success
from pipelines.layout import Layout
from pipelines.schema import OBSERVATION_COLUMNS, SOURCE_COLUMNS

duckdb = lazy.load("duckdb", error_on_import=True)
pd = lazy.load("pandas", error_on_import=True)

ANALYST_TABLES = (
    "observations", "comparisons", "measures", "units", "sources", "eurostat_detail", "rejected_rows", "changes",
)  # fmt: skip
VIEWS = ("observations_cited",)


class WarehouseBusyError(RuntimeError):
    """Another process holds the warehouse file open for writing."""


@dataclass(frozen=True)
class StagedSource:
    """One source's staged observations (a Parquet file) and its provenance row for `sources`."""

    source_id: str
    parquet: Path
    provenance: dict[str, object]


def staged_files(layout: Layout, source_id: str) -> tuple[Path, Path]:
    """Where a source's staged observations (Parquet) and provenance record (its row of `sources`) live."""
    return layout.staging_dir / f"{source_id}.parquet", layout.staging_dir / f"{source_id}.source.json"


def write_provenance(path: Path, record: dict[str, object]) -> None:
    """Write a source's provenance record, replacing the previous one only on success."""
    with replaced_on_success(path) as temporary:
        temporary.write_text(json.dumps(record, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


def write_staged(frame: pd.DataFrame, target: Path) -> None:
    """Write observations to Parquet with the warehouse types, replacing the previous file only on success."""
    casts = ", ".join(
        f'CAST("{name}" AS {kind.replace(" NOT NULL", "")}) AS "{name}"' for name, kind in OBSERVATION_COLUMNS.items()
    )
    with replaced_on_success(target) as temporary, duckdb.connect() as con:
        con.register("frame", frame)
        con.execute(f"COPY (SELECT {casts} FROM frame) TO '{temporary}' (FORMAT parquet)")


def _ensure_not_locked(path: Path) -> None:
    """Fail fast, naming the holder, when another process has the warehouse open for writing.

    The probe opens read-only: readers (a chart being drawn, an analyst's `duckdb -readonly`) do not stop the
    swap, since they keep the old file until they close it; only a writer's exclusive lock does.
    """
    if not path.exists():
        return
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.IOException as error:
        raise WarehouseBusyError(
            f"{path} is locked by another process, so the new warehouse was not swapped in. "
            f"Close the program that holds it (DuckDB says: {error})"
        ) from error


COMPARISONS_SQL = """
CREATE TABLE comparisons AS
WITH obs AS (
    SELECT o.*, u.counts FROM observations o
    LEFT JOIN (SELECT unit, counts FROM units UNION ALL SELECT unit, 'money' FROM currencies) u USING (unit)
)
SELECT
    m.jurisdiction, m.subdivision, m.period_start, m.period_end,
    m.measure AS migrants_measure, m.value AS migrants_value, m.unit AS migrants_unit,
    m.qualifier AS migrants_qualifier,
    e.measure AS employers_measure, e.value AS employers_value, e.unit AS employers_unit,
    e.qualifier AS employers_qualifier,
    CASE WHEN m.counts IN ('people', 'organisations') AND e.counts IN ('people', 'organisations')
              AND 'per_unit' NOT IN (m.qualifier, e.qualifier) AND e.value > 0
         THEN m.value / e.value END AS ratio,
    CASE
        WHEN 'per_unit' IN (m.qualifier, e.qualifier) OR NOT (m.counts IN ('people', 'organisations')
             AND e.counts IN ('people', 'organisations')) THEN 'not_comparable'
        WHEN m.qualifier = 'exact' AND e.qualifier = 'exact' THEN 'exact'
        WHEN 'approximate' IN (m.qualifier, e.qualifier) THEN 'approximate'
        WHEN m.qualifier IN ('exact', 'lower_bound') AND e.qualifier IN ('exact', 'upper_bound') THEN 'lower_bound'
        WHEN m.qualifier IN ('exact', 'upper_bound') AND e.qualifier IN ('exact', 'lower_bound') THEN 'upper_bound'
        ELSE 'indeterminate'
    END AS qualifier,
    [m.figure_id, e.figure_id] AS figure_ids,
    m.source_id AS migrants_source_id, e.source_id AS employers_source_id
FROM obs m
JOIN obs e
  ON m.target_group = 'migrants' AND e.target_group = 'employers'
 AND m.jurisdiction = e.jurisdiction
 AND m.subdivision IS NOT DISTINCT FROM e.subdivision
 AND m.period_start IS NOT DISTINCT FROM e.period_start
 AND m.period_end = e.period_end
ORDER BY m.jurisdiction, m.subdivision NULLS FIRST, m.period_end, m.period_start, m.figure_id, e.figure_id
"""


CITED_VIEW_SQL = """
CREATE VIEW observations_cited AS
SELECT o.*, s.title AS dataset_title, s.raw_path, s.sha256 AS raw_sha256, s.date_accessed, s.retrieved_at
FROM observations o JOIN sources s USING (source_id)
"""


def build_warehouse(
    target: Path,
    staged: Iterable[StagedSource],
    rejected_rows: tuple[str, list],
    guard: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> dict[str, int]:
    """Build every analyst table into a new DuckDB file and swap it in; return row counts per table.

    `rejected_rows` is the SQL (and parameters) creating that table; `guard` runs the checks on the new file
    before the swap and raises to abort it. Nothing is written to `target` unless the whole build succeeds.
    """
    staged = list(staged)
    columns = ", ".join(f'"{name}" {kind}' for name, kind in OBSERVATION_COLUMNS.items())
    _ensure_not_locked(target)
    with replaced_on_success(target) as building:
        building.with_name(building.name + ".wal").unlink(missing_ok=True)
        with duckdb.connect(str(building)) as con:
            con.execute(f"CREATE TABLE observations ({columns})")
            for source in staged:
                con.execute(
                    "INSERT INTO observations SELECT * FROM read_parquet(?) ORDER BY figure_id",
                    [str(source.parquet)],
                )
            load_detail(con, [source.parquet for source in staged])  # Eurostat full cubes (pipelines/eurostat/)
            con.register("measures_frame", pd.DataFrame(vocabulary.measures_table()))
            con.execute("CREATE TABLE measures AS SELECT * FROM measures_frame ORDER BY measure, target_group")
            con.register("units_frame", pd.DataFrame(vocabulary.units_table()))
            con.execute("CREATE TABLE units AS SELECT * FROM units_frame ORDER BY unit")
            con.register("currencies_frame", pd.DataFrame({"unit": sorted(vocabulary.currencies())}))
            con.execute("CREATE TEMP TABLE currencies AS SELECT * FROM currencies_frame")
            sources = pd.DataFrame([source.provenance for source in staged], columns=list(SOURCE_COLUMNS), dtype=str)
            con.register("sources_frame", sources)
            con.execute("CREATE TABLE sources AS SELECT * FROM sources_frame ORDER BY source_id")
            con.execute(COMPARISONS_SQL)
            con.execute(CITED_VIEW_SQL)
            con.execute(*rejected_rows)
            create_changes_table(con)  # the guard fills it: pipelines/changes.py
            if guard:
                guard(con)
            con.execute("ALTER TABLE observations ADD PRIMARY KEY (figure_id)")
            counts = {
                table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in (*ANALYST_TABLES, *VIEWS)
            }
            con.execute("CHECKPOINT")
    return counts
