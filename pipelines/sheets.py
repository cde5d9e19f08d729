"""Curated figure sheets: discover them, read them strictly, and turn their rows into observations.

A sheet is any CSV in `data/raw/figures/` with the reference header. Every row cites its own document
(publisher, title, URL, quote); the sheet as a whole may carry an origin sidecar (`<name>.meta.yml`).
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from pipelines import vocabulary
from pipelines.problems import BadInputError, Problem
from pipelines.schema import OBSERVATION_COLUMNS

SHEET_COLUMNS = (
    "figure_id", "jurisdiction_iso3", "subnational_area", "period_start", "period_end", "target_group",
    "measure", "value", "unit", "qualifier", "publisher", "source_title", "source_url", "published_date",
    "quote", "language", "notes",
)  # fmt: skip
MAX_SHEET_BYTES = 20 * 1024 * 1024
NUMBER = re.compile(r"\d+(\.\d+)?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Sheet:
    """A figure sheet on disk and the source id it is known by."""

    source_id: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.name


def source_id_for(path: Path) -> str:
    """`data/raw/figures/Kazakhstan 2024.csv` → `figures_kazakhstan_2024`."""
    return "figures_" + (re.sub(r"[^a-z0-9]+", "_", path.stem.lower()).strip("_") or "sheet")


def discover_sheets(figures_dir: Path) -> list[Sheet]:
    """Every CSV in the figures folder, in name order, each with a distinct source id."""
    sheets = [Sheet(source_id_for(path), path) for path in sorted(figures_dir.glob("*.csv"))]
    seen: dict[str, Path] = {}
    for sheet in sheets:
        if sheet.source_id in seen:
            raise BadInputError(
                [
                    Problem(
                        sheet.name,
                        None,
                        None,
                        None,
                        f"a file name distinct from {seen[sheet.source_id].name}",
                    )
                ]
            )
        seen[sheet.source_id] = sheet.path
    return sheets


def read_sheet(path: Path, shown_as: str) -> list[dict[str, str]]:
    """Read a sheet's records as strings, refusing anything that is not a UTF-8 CSV with the reference header."""
    if path.is_symlink() or not path.is_file():
        raise BadInputError([Problem(shown_as, None, None, None, "a regular file (not a link or folder)")])
    size = path.stat().st_size
    if size > MAX_SHEET_BYTES:
        raise BadInputError([Problem(shown_as, None, None, f"{size} bytes", f"at most {MAX_SHEET_BYTES} bytes")])
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise BadInputError([Problem(shown_as, None, None, None, "a text CSV file (it holds NUL bytes)")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise BadInputError(
            [Problem(shown_as, line, None, repr(raw[error.start : error.start + 4]), "UTF-8 text")]
        ) from error
    records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    if not records:
        raise BadInputError([Problem(shown_as, None, None, None, "a header row: " + ",".join(SHEET_COLUMNS))])
    header = [name.strip() for name in records[0]]
    problems = [
        Problem(shown_as, 1, name, None, "this column in the header") for name in SHEET_COLUMNS if name not in header
    ]
    problems += [
        Problem(shown_as, 1, name, name, f"only the columns {', '.join(SHEET_COLUMNS)}")
        for name in header
        if name not in SHEET_COLUMNS
    ]
    if problems:
        raise BadInputError(problems)
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            problems.append(
                Problem(
                    shown_as,
                    number,
                    None,
                    f"{len(record)} cells",
                    f"{len(header)} cells, one per header column",
                )
            )
            continue
        rows.append({"_row": str(number), **dict(zip(header, record, strict=True))})
    if problems:
        raise BadInputError(problems)
    return rows


def _date(text: str) -> date | None:
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _check_row(row: dict[str, str], shown_as: str) -> tuple[dict[str, object], list[Problem]]:
    """Type one record and list what is wrong with it."""
    number = int(row["_row"])
    cell = {name: row[name].strip() for name in SHEET_COLUMNS}
    problems: list[Problem] = []

    def problem(column: str, expected: str) -> None:
        problems.append(Problem(shown_as, number, column, cell[column], expected))

    if not cell["figure_id"]:
        problem("figure_id", "a non-empty id")
    if vocabulary.jurisdiction_name(cell["jurisdiction_iso3"]) is None:
        problem("jurisdiction_iso3", "an ISO 3166-1 alpha-3 code or one of " + ", ".join(vocabulary.aggregates()))
    start = _date(cell["period_start"]) if cell["period_start"] else None
    end = _date(cell["period_end"])
    if cell["period_start"] and start is None:
        problem("period_start", "an ISO date YYYY-MM-DD, or empty when the start is not stated")
    if end is None:
        problem("period_end", "an ISO date YYYY-MM-DD")
    if start and end and start > end:
        problem("period_start", f"a date on or before period_end {end}")
    measure = vocabulary.measures().get((cell["measure"], cell["target_group"]))
    if cell["target_group"] not in vocabulary.TARGET_GROUPS:
        problem("target_group", "one of " + ", ".join(vocabulary.TARGET_GROUPS))
    elif measure is None:
        known = sorted(m for m, group in vocabulary.measures() if group == cell["target_group"])
        problem("measure", f"a measure for {cell['target_group']} in the vocabulary: {', '.join(known)}")
    if not NUMBER.fullmatch(cell["value"]):
        problem("value", "a non-negative number written with digits only (no thousands separators)")
    counts = vocabulary.unit_counts(cell["unit"])
    if measure and measure.value_kind == "money" and counts != "money":
        problem("unit", "an ISO 4217 currency code for a money measure")
    elif measure and measure.value_kind == "count" and counts not in vocabulary.count_units().values():
        problem("unit", "a count unit: " + ", ".join(vocabulary.count_units()))
    elif counts != "money" and NUMBER.fullmatch(cell["value"]) and "." in cell["value"]:
        problem("value", "a whole number for a count")
    qualifier = cell["qualifier"] or "exact"
    if qualifier not in vocabulary.QUALIFIERS:
        problem("qualifier", "empty or one of " + ", ".join(vocabulary.QUALIFIERS))
    if not re.match(r"https?://[^\s/]+", cell["source_url"], re.IGNORECASE):
        problem("source_url", "an http:// or https:// address of the document read")
    if not cell["quote"]:
        problem("quote", "the exact passage the number was read from")
    published = _date(cell["published_date"]) if cell["published_date"] else None
    if cell["published_date"] and published is None:
        problem("published_date", "an ISO date YYYY-MM-DD, or empty")
    observation = {
        "figure_id": cell["figure_id"],
        "jurisdiction": cell["jurisdiction_iso3"],
        "subdivision": cell["subnational_area"] or None,
        "period_start": start,
        "period_end": end,
        "target_group": cell["target_group"],
        "measure": cell["measure"],
        "value": float(cell["value"]) if NUMBER.fullmatch(cell["value"]) else None,
        "unit": cell["unit"],
        "qualifier": qualifier,
        "publisher": cell["publisher"] or None,
        "source_title": cell["source_title"] or None,
        "source_url": cell["source_url"],
        "published_date": published,
        "quote": cell["quote"],
        "language": cell["language"] or None,
        "notes": cell["notes"] or None,
        "locator": f"{shown_as} row {number}",
        "flags": None,
    }
    return observation, problems


def parse_sheet(sheet: Sheet, shown_as: str) -> tuple[pd.DataFrame, list[Problem], list[dict[str, str]]]:
    """Turn a sheet into observations.

    Returns the good observations, the problems found, and the raw records of the rejected rows.
    """
    observations, problems, rejected = [], [], []
    first_seen: dict[str, int] = {}
    for row in read_sheet(sheet.path, shown_as):
        observation, row_problems = _check_row(row, shown_as)
        figure_id = observation["figure_id"]
        if figure_id and figure_id in first_seen:
            row_problems.append(
                Problem(
                    shown_as,
                    int(row["_row"]),
                    "figure_id",
                    figure_id,
                    f"an id not already used on row {first_seen[figure_id]}",
                )
            )
        first_seen.setdefault(str(figure_id), int(row["_row"]))
        if row_problems:
            problems += row_problems
            rejected.append(row)
        else:
            observations.append({**observation, "source_id": sheet.source_id})
    frame = pd.DataFrame(observations, columns=list(OBSERVATION_COLUMNS))
    return frame, problems, rejected
