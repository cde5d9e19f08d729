"""The two response formats: JSON-stat 2.0 (small queries) and SDMX-CSV 1.0 (bulk cubes).

Each format has a check (run on the downloaded temporary file, before it may become a snapshot) and a reader
that exposes the cube to DuckDB as one row per cell: its dimension codes, `geo`, `time`, the value as text,
Eurostat's status flag and a `cell` locator.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import lazy_loader as lazy

from pipelines.eurostat.errors import SnapshotError

duckdb = lazy.load("duckdb", error_on_import=True)

CONTENT_TYPES = {
    "jsonstat": ("application/json", "application/vnd.json-stat+json"),
    "sdmx-csv": ("text/csv", "application/vnd.sdmx.data+csv", "application/csv"),
}
SUFFIX = {"jsonstat": ".json", "sdmx-csv": ".csv"}
SDMX_COLUMNS = {"TIME_PERIOD": "time", "OBS_VALUE": "raw_value", "OBS_FLAG": "flag"}
DIMENSION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
JSONSTAT_MAX_BYTES = 256 * 1024**2  # JSON-stat is parsed whole: full-detail cubes belong in SDMX-CSV
SDMX_IGNORED = ("DATAFLOW", "LAST UPDATE", "STRUCTURE", "STRUCTURE_ID", "ACTION", "CONF_STATUS")


@dataclass(frozen=True)
class CubeInfo:
    """What a check learnt about a response: its dimensions and Eurostat's `updated` stamp."""

    dimensions: tuple[str, ...]
    updated: str | None


def _category_codes(dimension: dict, name: str, size: int, shown: str) -> list[str]:
    category = dimension.get("category") if isinstance(dimension, dict) else None
    index = category.get("index") if isinstance(category, dict) else None
    if index is None and isinstance(category, dict) and len(category.get("label", {})) == 1 == size:
        return list(category["label"])
    if isinstance(index, list):
        codes = [str(code) for code in index]
    elif isinstance(index, dict) and sorted(index.values()) == list(range(len(index))):
        codes = [code for code, _ in sorted(index.items(), key=lambda item: item[1])]
    else:
        raise SnapshotError(f"{shown}: invalid JSON-stat 2.0: dimension '{name}' has no valid category index")
    if len(codes) != size:
        raise SnapshotError(
            f"{shown}: invalid JSON-stat 2.0: dimension '{name}' lists {len(codes)} categories but size says {size}"
        )
    return codes


def read_jsonstat(path: Path, shown: str) -> tuple[dict, list[list[str]]]:
    """Parse and check a JSON-stat 2.0 dataset; return it with each dimension's category codes in order."""
    if path.stat().st_size > JSONSTAT_MAX_BYTES:
        raise SnapshotError(
            f"{shown}: {path.stat().st_size} bytes of JSON-stat; at most {JSONSTAT_MAX_BYTES} are parsed. "
            "Use `format: sdmx-csv` in the registry entry for a full-detail cube"
        )
    try:
        document = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SnapshotError(f"{shown}: invalid JSON-stat 2.0: not valid JSON ({error})") from error
    if not isinstance(document, dict) or document.get("class") != "dataset" or document.get("version") != "2.0":
        found = document.get("error") if isinstance(document, dict) else None
        raise SnapshotError(
            f"{shown}: not a JSON-stat 2.0 dataset (class/version missing){f'; says {found}' if found else ''}"
        )
    ids, sizes, dimensions = document.get("id"), document.get("size"), document.get("dimension")
    if not (
        isinstance(ids, list) and isinstance(sizes, list) and isinstance(dimensions, dict) and len(ids) == len(sizes)
    ):
        raise SnapshotError(
            f"{shown}: invalid JSON-stat 2.0: 'id', 'size' and 'dimension' do not describe the same dimensions"
        )
    if not all(isinstance(size, int) and size > 0 for size in sizes) or not {"geo", "time"} <= set(ids):
        raise SnapshotError(
            f"{shown}: invalid JSON-stat 2.0: expected positive sizes and the dimensions 'geo' and 'time'; "
            f"got {ids} {sizes}"
        )
    codes = [_category_codes(dimensions.get(name), name, size, shown) for name, size in zip(ids, sizes, strict=True)]
    total = math.prod(sizes)
    values, status = document.get("value"), document.get("status", {})
    if isinstance(values, list):
        values = {str(i): v for i, v in enumerate(values)}
        if len(values) != total:
            raise SnapshotError(
                f"{shown}: invalid JSON-stat 2.0: 'value' holds {len(values)} cells; the sizes make {total}"
            )
    if isinstance(status, list):
        status = {str(i): s for i, s in enumerate(status)}
    if not isinstance(values, dict) or not isinstance(status, dict):
        raise SnapshotError(f"{shown}: invalid JSON-stat 2.0: 'value' and 'status' must be an object or an array")
    for key, value in values.items():
        if not key.isdigit() or int(key) >= total:
            raise SnapshotError(f"{shown}: invalid JSON-stat 2.0: value key {key!r} is not a cell index below {total}")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise SnapshotError(
                f"{shown}: invalid JSON-stat 2.0: value[{key!r}] = {value!r}; expected a number or null"
            )
    for key in status:
        if not key.isdigit() or int(key) >= total:
            raise SnapshotError(f"{shown}: invalid JSON-stat 2.0: status key {key!r} is not a cell index below {total}")
    document["value"], document["status"] = values, status
    return document, codes


def check_sdmx_csv(path: Path, shown: str) -> CubeInfo:
    """Check an SDMX-CSV file without loading it: header, complete last line, no NUL bytes."""
    with path.open("rb") as handle:
        header_line = handle.readline()
        handle.seek(0, 2)
        if handle.tell() == 0:
            raise SnapshotError(f"{shown}: empty file; expected SDMX-CSV")
        handle.seek(-1, 2)
        if handle.read(1) != b"\n":
            raise SnapshotError(f"{shown}: the last line is incomplete (truncated body); expected SDMX-CSV")
    try:
        header = next(csv.reader([header_line.decode("utf-8-sig")]))
    except (UnicodeDecodeError, StopIteration) as error:
        raise SnapshotError(f"{shown}: unreadable header ({error}); expected SDMX-CSV") from error
    missing = [name for name in (*SDMX_COLUMNS, "geo") if name not in header]
    if missing:
        raise SnapshotError(f"{shown}: SDMX-CSV header lacks {missing}; got {header}")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = next(csv.DictReader(handle), None) or {}
    dimensions = tuple(n for n in header if n not in SDMX_IGNORED and n not in SDMX_COLUMNS)
    return CubeInfo(dimensions, _sdmx_timestamp(first.get("LAST UPDATE") or ""))


def _sdmx_timestamp(text: str) -> str | None:
    """Eurostat's SDMX-CSV `LAST UPDATE` ("24/03/25 11:00:00", day first) as an ISO timestamp."""
    try:
        return datetime.strptime(text.strip(), "%d/%m/%y %H:%M:%S").isoformat()
    except ValueError:
        return None


def check(path: Path, fmt: str, shown: str) -> CubeInfo:
    """Refuse anything that is not a well-formed response in `fmt`."""
    if fmt == "sdmx-csv":
        return check_sdmx_csv(path, shown)
    document, _ = read_jsonstat(path, shown)
    return CubeInfo(tuple(document["id"]), document.get("updated"))


def _jsonstat_cells(path: Path, shown: str, long_csv: Path) -> list[str]:
    """Write a JSON-stat cube as one CSV line per cell (dimension codes, value, status, cell index)."""
    document, codes = read_jsonstat(path, shown)
    ids, sizes = document["id"], document["size"]
    strides = [math.prod(sizes[i + 1 :]) for i in range(len(sizes))]
    keys = sorted(set(document["value"]) | set(document["status"]), key=int)
    with long_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*ids, "raw_value", "flag", "cell"])
        for key in keys:
            index = int(key)
            cell = [codes[d][(index // strides[d]) % sizes[d]] for d in range(len(ids))]
            value = document["value"].get(key)
            writer.writerow(
                [*cell, "" if value is None else repr(value), document["status"].get(key, ""), f'value["{key}"]']
            )
    return ids


def _checked_names(names: list[str], shown: str) -> list[str]:
    bad = [name for name in names if not DIMENSION_NAME.fullmatch(name)]
    if bad:
        raise SnapshotError(f"{shown}: dimension names {bad}; expected letters, digits and underscores")
    return names


def register_cube(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, shown: str, scratch: Path) -> list[str]:
    """Create the view `cube` over a snapshot (one row per cell, all text); return its dimension names.

    SDMX-CSV is read by DuckDB straight from the snapshot; JSON-stat is first unrolled to `scratch`.
    """
    if fmt == "jsonstat":
        dimensions = _checked_names(_jsonstat_cells(path, shown, scratch), shown)
        con.execute(
            f"CREATE OR REPLACE VIEW cube AS SELECT * FROM read_csv('{scratch}', all_varchar=true, header=true)"
        )
        return list(dimensions)
    names = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM read_csv('{path}', all_varchar=true)").fetchall()]
    dimensions = _checked_names([n for n in names if n not in SDMX_IGNORED and n not in SDMX_COLUMNS], shown)
    renamed = ", ".join([*(f'"{n}"' for n in dimensions), *(f'"{k}" AS {v}' for k, v in SDMX_COLUMNS.items())])
    con.execute(
        f"CREATE OR REPLACE VIEW cube AS SELECT {renamed}, NULL::VARCHAR AS cell "
        f"FROM read_csv('{path}', all_varchar=true, header=true)"
    )
    return [*dimensions, "time"]
