"""A snapshot parsed into the model: every cell to the detail file, the totals to observations.

One DuckDB pass reads the snapshot (SDMX-CSV straight from the file; JSON-stat unrolled first) and writes
every non-missing cell to `<source_id>.detail.parquet` with its jurisdiction, period and, for a cell that
cannot be used, the reason (`problem`). The warehouse loads the good cells as `eurostat_detail`; the refused
ones go to `data/curated/rejected/<source_id>.csv`; the cells pinned by the registry's `totals` become
observations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import lazy_loader as lazy
import pycountry

from pipelines import vocabulary
from pipelines.eurostat import formats
from pipelines.eurostat.errors import SnapshotError
from pipelines.eurostat.geo import EUROSTAT_EXCEPTIONS
from pipelines.eurostat.snapshots import Snapshot
from pipelines.exports import write_csv
from pipelines.files import replaced_on_success
from pipelines.layout import Layout
from pipelines.rows import insert_columns
from pipelines.schema import OBSERVATION_COLUMNS
from pipelines.schema import ROW_NUMBER as ROW_LOCATOR
from pipelines.sources import Dataset
from pipelines.vocabulary import OFFICIAL_STATISTICS

duckdb = lazy.load("duckdb", error_on_import=True)
pd = lazy.load("pandas", error_on_import=True)

REJECTED_COLUMNS = ["file", "row", "column", "value", "reason", "source_id"]
DUCKDB_SETTINGS = {"memory_limit": "256MB", "preserve_insertion_order": "false"}
# Row groups of the detail Parquet file: a quarter of DuckDB's default (122,880 rows). Under the memory limit
# each writer thread holds less; writing 5M cells took 8-12 % less time, reading them back the same.
DETAIL_ROW_GROUP = 30_720
# Eurostat status flags (https://ec.europa.eu/eurostat/data/database/information): kept verbatim in `flags`.
FLAG_MEANINGS = {
    "b": "break in time series",
    "c": "confidential",
    "d": "definition differs (see metadata)",
    "e": "estimated",
    "f": "forecast",
    "n": "not significant",
    "p": "provisional",
    "r": "revised",
    "s": "Eurostat estimate",
    "u": "low reliability",
    "z": "not applicable",
}
NOT_DIMENSIONS = ("geo", "time")


def detail_path(layout: Layout, source_id: str) -> Path:
    """Where a source's full cube is staged for the warehouse table `eurostat_detail`."""
    return layout.staging_dir / f"{source_id}.detail.parquet"


def geo_table() -> list[tuple[str, str]]:
    """Every geo code the parser accepts, with its jurisdiction: ISO alpha-2 countries, EL, UK, aggregates."""
    pairs = {country.alpha_2: country.alpha_3 for country in pycountry.countries}
    pairs.update(EUROSTAT_EXCEPTIONS)
    pairs.update({code: code for code in vocabulary.aggregates()})
    return sorted(pairs.items())


def connect(scratch_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to `scratch_dir` rather than growing with the data."""
    con = duckdb.connect(config={**DUCKDB_SETTINGS, "temp_directory": str(scratch_dir / ".duckdb_tmp")})
    con.execute("CREATE TEMP TABLE geo_map (geo VARCHAR PRIMARY KEY, jurisdiction VARCHAR)")
    geos, jurisdictions = zip(*geo_table(), strict=True)
    insert_columns(con, "geo_map", {"geo": geos, "jurisdiction": jurisdictions})
    return con


def cells_sql(dimensions: list[str], source_id: str, dataset: str) -> str:
    """The one query that types, places and checks every non-missing cell of the view `cube`."""
    dims = ", ".join(f'c."{name}"' for name in dimensions)
    return f"""
    WITH typed AS (
        SELECT {dims}, c.raw_value, NULLIF(c.flag, '') AS flags, c.cell, g.jurisdiction,
               TRY_CAST(c.raw_value AS DOUBLE) AS value,
               CASE WHEN regexp_full_match(c.time, '[0-9]{{4}}') THEN make_date(CAST(c.time AS INT), 1, 1)
                    WHEN regexp_full_match(c.time, '[0-9]{{4}}-Q[1-4]')
                         THEN make_date(CAST(c.time[1:4] AS INT), 3 * CAST(c.time[7] AS INT) - 2, 1)
                    WHEN regexp_full_match(c.time, '[0-9]{{4}}-(0[1-9]|1[0-2])')
                         THEN make_date(CAST(c.time[1:4] AS INT), CAST(c.time[6:7] AS INT), 1) END AS period_start
        FROM cube c LEFT JOIN geo_map g ON g.geo = c.geo
        WHERE c.raw_value IS NOT NULL AND trim(c.raw_value) NOT IN ('', ':')
    ), checked AS (
        SELECT *, CASE
            WHEN jurisdiction IS NULL THEN 'geo: unknown code; expected an ISO 3166-1 alpha-2 country, EL, UK '
                 || 'or an aggregate declared in pipelines/vocabulary/aggregates.csv'
            WHEN value IS NULL THEN 'value: not a number'
            WHEN value < 0 THEN 'value: negative; expected a count of 0 or more'
            WHEN period_start IS NULL THEN 'time: expected YYYY, YYYY-Qn or YYYY-MM'
        END AS problem
        FROM typed
    )
    SELECT '{source_id}' AS source_id, '{dataset}' AS dataset, {", ".join(f'"{n}"' for n in dimensions)},
           jurisdiction, period_start,
           CASE WHEN length(time) = 4 THEN make_date(year(period_start), 12, 31)
                WHEN time[6] = 'Q' THEN last_day(period_start + INTERVAL 2 MONTH)
                ELSE last_day(period_start) END AS period_end,
           value, flags, cell, problem, CASE WHEN problem IS NOT NULL THEN raw_value END AS refused_value
    FROM checked
    """


@dataclass(frozen=True)
class StagedDataset:
    """What staging produced for one dataset."""

    observations: pd.DataFrame
    cells: int
    rejected: int
    provenance: dict


def _dimension_label(row: dict, dimensions: list[str]) -> str:
    return ", ".join(f"{name}={row[name]}" for name in dimensions)


def published_date(meta: dict) -> str | None:
    """The date of Eurostat's `updated` stamp in a snapshot record, if it has a valid one."""
    text = str(meta.get("eurostat_updated") or "")[:10]
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _covers(origin: dict, row: dict) -> bool:
    """Whether a reconstructed snapshot's origin entry gave this cell (by time, and by place if listed)."""
    times = [str(time) for time in origin.get("time", [])]
    return str(row["time"]) in times and (not origin.get("geo") or row["geo"] in origin["geo"])


def _observations(
    dataset: Dataset, snapshot: Snapshot, totals: pd.DataFrame, dimensions: list[str], shown: str
) -> pd.DataFrame:
    origins = snapshot.meta.get("origins") or []
    published = published_date(snapshot.meta)
    rows = []
    for row in totals.to_dict("records"):
        origin = next((o for o in origins if _covers(o, row)), {})
        cell = _dimension_label(row, dimensions)
        flags = row["flags"] if isinstance(row["flags"], str) else None
        meaning = "; ".join(FLAG_MEANINGS.get(flag, "unknown flag") for flag in flags or "")
        said = f" (flag {flags}: {meaning})" if flags else ""
        notes = [f"Eurostat dataset {dataset.dataset}, cell {cell}."]
        if flags:
            notes.append(f"Eurostat flag {flags}: {meaning}.")
        if origin.get("note"):
            notes.append(origin["note"])
        elif snapshot.reconstructed:
            notes.append(str(snapshot.meta.get("reconstruction_note", "")))
        rows.append(
            {
                "figure_id": f"EUROSTAT-{dataset.dataset}-{row['geo']}-{row['time']}",
                "source_id": dataset.source_id,
                "jurisdiction": row["jurisdiction"],
                "subdivision": None,
                "period_start": row["period_start"],
                "period_end": row["period_end"],
                "target_group": dataset.target_group,
                "measure": dataset.measure,
                "value": row["value"],
                "unit": dataset.unit,
                "breakdown": None,
                "qualifier": "approximate" if flags and "e" in flags else "exact",
                "publisher": dataset.producer,
                "source_type": OFFICIAL_STATISTICS,
                "source_title": f"{dataset.title} [{dataset.dataset}]",
                "source_url": origin.get("source_url") or snapshot.meta["request_url"],
                "published_date": published,
                "quote": f"{dataset.dataset}: {cell} -> {row['value']:g}{said}",
                "language": "en",
                "notes": " ".join(notes),
                "locator": f"{shown} (sha256 {snapshot.sha256[:12]}) {row['cell'] or 'cell'} {dataset.dataset}[{cell}]",
                "flags": flags,
                ROW_LOCATOR: f"{dataset.dataset}[{cell}]",
            }
        )
    return pd.DataFrame(rows, columns=[*OBSERVATION_COLUMNS, ROW_LOCATOR])


def cells_rejected_file(layout: Layout, source_id: str) -> Path:
    """Where the cells that could not be parsed are kept (the validated totals have `<source_id>.csv`)."""
    return layout.rejected_dir / f"{source_id}.cells.csv"


def stage(layout: Layout, dataset: Dataset, snapshot: Snapshot | None) -> StagedDataset:
    """Parse the snapshot in use into the detail file and the rejected-cells file; return the total cells as
    observations (with `_row`, the cell each came from) for validation before they are staged."""
    rejected_file = cells_rejected_file(layout, dataset.source_id)
    detail_file = detail_path(layout, dataset.source_id)
    layout.staging_dir.mkdir(parents=True, exist_ok=True)
    if snapshot is None:
        frame = pd.DataFrame(columns=[*OBSERVATION_COLUMNS, ROW_LOCATOR])
        detail_file.unlink(missing_ok=True)
        rejected_file.unlink(missing_ok=True)
        return StagedDataset(frame, 0, 0, provenance(layout, dataset, None, 0))
    shown = layout.relative(snapshot.path)
    scratch = layout.staging_dir / f".{dataset.source_id}.cells.csv"
    with connect(layout.staging_dir) as con, replaced_on_success(detail_file) as building:
        try:
            dimensions = formats.register_cube(con, snapshot.path, dataset.format, shown, scratch)
            con.execute(
                f"COPY ({cells_sql(dimensions, dataset.source_id, dataset.dataset)}) TO '{building}' "
                f"(FORMAT parquet, ROW_GROUP_SIZE {DETAIL_ROW_GROUP})"
            )
        except duckdb.Error as error:
            raise SnapshotError(f"{shown}: cannot be read as {dataset.format} ({error})") from error
        finally:
            scratch.unlink(missing_ok=True)
        con.execute(f"CREATE VIEW cells AS SELECT * FROM read_parquet('{building}')")
        pinned = {name: code for name, code in dataset.totals.items() if name in dimensions}
        _require_pinned(con, dataset, dimensions, pinned, shown)
        where = " AND ".join(["problem IS NULL", *(f'"{name}" = ?' for name in pinned)])
        totals = con.execute(f"SELECT * FROM cells WHERE {where} ORDER BY geo, time", list(pinned.values())).df()
        cells, rejected = con.execute("SELECT count(*), count(problem) FROM cells").fetchone()
        frame = _observations(dataset, snapshot, totals, dimensions, shown)
        duplicates = frame["figure_id"][frame["figure_id"].duplicated()].tolist()
        if duplicates:
            raise SnapshotError(
                f"{shown}: several total cells for {duplicates[:5]}; "
                f"pin more dimensions in `totals` of {layout.relative(dataset.registry_file)}"
            )
        _write_rejected(con, rejected_file, shown, dataset.source_id, rejected)
    return StagedDataset(frame, cells, rejected, provenance(layout, dataset, snapshot, len(frame)))


def _require_pinned(con, dataset: Dataset, dimensions: list[str], pinned: dict, shown: str) -> None:
    """Every dimension other than geo and time must be pinned by `totals` or hold a single category."""
    free = [name for name in dimensions if name not in NOT_DIMENSIONS and name not in pinned]
    if not free:
        return
    counts = con.execute("SELECT " + ", ".join(f'count(DISTINCT "{n}")' for n in free) + " FROM cells").fetchone()
    several = [f"{name} ({count} categories)" for name, count in zip(free, counts, strict=True) if count > 1]
    if several:
        raise SnapshotError(
            f"{shown}: dimensions {', '.join(several)} are not pinned; add them to `totals` in "
            f"{dataset.registry_file.name} so that one cell per place and period becomes an observation"
        )


def _write_rejected(con, rejected_file: Path, shown: str, source_id: str, rejected: int) -> None:
    if not rejected:
        rejected_file.unlink(missing_ok=True)
        return
    cursor = con.execute(
        "SELECT coalesce(cell, concat_ws(', ', 'geo=' || geo, 'time=' || time)) AS row, "
        "split_part(problem, ':', 1) AS column, CASE WHEN problem LIKE 'geo%' THEN geo "
        "WHEN problem LIKE 'time%' THEN time ELSE refused_value END AS value, problem AS reason FROM cells "
        "WHERE problem IS NOT NULL"
    )

    def rows():
        while batch := cursor.fetchmany(10_000):
            for row, column, value, reason in batch:
                yield {"file": shown, "row": row, "column": column, "value": value, "reason": reason,
                       "source_id": source_id}  # fmt: skip

    write_csv(rejected_file, REJECTED_COLUMNS, rows())


def provenance(layout: Layout, dataset: Dataset, snapshot: Snapshot | None, rows: int) -> dict:
    """The dataset's row for the warehouse table `sources` (keys of `SOURCE_COLUMNS`)."""
    meta = snapshot.meta if snapshot else {}
    retrieved = str(meta.get("retrieved_at") or "") or None
    description = dataset.description
    if snapshot is None:
        description = f"Not yet retrieved: no snapshot in {layout.relative(dataset.snapshot_dir)}. {description}"
    elif snapshot.reconstructed:
        description = f"{meta.get('reconstruction_note', '')} {description}".strip()
    return {
        "source_id": dataset.source_id,
        "kind": "eurostat",
        "raw_path": layout.relative(snapshot.path) if snapshot else None,
        "sha256": meta.get("sha256"),
        "size_bytes": meta.get("size_bytes"),
        "row_count": rows,
        "retrieved_at": retrieved,
        **dataset.origin(),
        "description": description,
        "url_download": meta.get("request_url") or dataset.request_url(),
        "date_published": published_date(meta),
        "date_accessed": retrieved[:10] if retrieved else None,
    }
