"""Curated figure sheets: discover them, read their cells, and type their rows into observations.

A sheet is any CSV in `data/raw/figures/` with the reference header. Every row cites its own document
(publisher, title, URL, quote); the sheet as a whole may carry an origin sidecar (`<name>.meta.yml`).
This module only reads structure and types cells; what a good row is lives in `pipelines/validation/rules.py`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import lazy_loader as lazy

from pipelines.problems import BadInputError, Problem
from pipelines.schema import ISO_DATE_FORMAT, OBSERVATION_COLUMNS, ROW_FILE, ROW_NUMBER
from pipelines.vocabulary import UNKNOWN_SOURCE_TYPE

pd = lazy.load("pandas", error_on_import=True)

SHEET_COLUMNS = (
    "figure_id", "jurisdiction_iso3", "subnational_area", "period_start", "period_end", "target_group",
    "measure", "value", "unit", "breakdown", "qualifier", "publisher", "source_type", "source_title",
    "source_url", "published_date", "quote", "language", "notes",
)  # fmt: skip
# Sheets written before `source_type` and `breakdown` existed still load: type `unknown`, no breakdown.
ADDED_COLUMNS = ("breakdown", "source_type")
LEGACY_SHEET_COLUMNS = tuple(column for column in SHEET_COLUMNS if column not in ADDED_COLUMNS)
TEXT_COLUMNS = (
    "figure_id", "subnational_area", "breakdown", "publisher", "source_type", "source_title", "quote", "language",
    "notes",
)  # fmt: skip
# Observation columns named differently in a sheet: problems are reported under the sheet's names.
SHEET_NAME_OF = {"jurisdiction": "jurisdiction_iso3", "subdivision": "subnational_area"}
MAX_SHEET_BYTES = 20 * 1024 * 1024
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class SheetCells:
    """A sheet's cells as text (with `_file` and `_row`), what the reader noted (tabs skipped, formulas whose
    saved result was used), and for a workbook each tab's column letters, to name a problem by its cell."""

    cells: pd.DataFrame
    notes: tuple[str, ...] = ()
    letters: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def locate(self, problem: Problem) -> Problem:
        """A problem in a workbook tab named by its cell (`H12`); any other problem as it is."""
        letter = self.letters.get(problem.file, {}).get(problem.column or "")
        if letter and str(problem.row).isdigit():
            return replace(problem, row=f"{letter}{problem.row}")
        return problem


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
    """Every CSV in the figures folder, in name order."""
    return [Sheet(source_id_for(path), path) for path in sorted(figures_dir.glob("*.csv"))]


def _refuse(shown_as: str, row: int | None, value: str | None, expected: str) -> BadInputError:
    return BadInputError([Problem(shown_as, row, None, value, expected)])


def _text(raw: bytes, shown_as: str) -> str:
    """The sheet as text: UTF-8, with or without a byte order mark (spreadsheet programs add one)."""
    if raw.startswith(UTF16_MARKS):
        raise _refuse(shown_as, None, "UTF-16 text", "UTF-8 text: save the sheet as 'CSV UTF-8'")
    if b"\x00" in raw:
        raise _refuse(shown_as, None, None, "a text CSV file (it holds NUL bytes: a binary file renamed .csv?)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise _refuse(
            shown_as,
            line,
            repr(raw[error.start : error.start + 4]),
            "UTF-8 text: save the sheet as 'CSV UTF-8' (this looks like another encoding, e.g. Latin-1)",
        ) from error


def read_sheet(path: Path, shown_as: str) -> pd.DataFrame:
    """A sheet's cells as text (empty cells missing), with `_file` and `_row` (the spreadsheet line number).

    Refuses, naming the file and line, what cannot be read as a table: not a regular file, too big, not UTF-8,
    broken CSV quoting, rows with more or fewer cells than the header. Which columns and values are right is
    for the validation suites.
    """
    if path.is_symlink() or not path.is_file():
        raise _refuse(shown_as, None, None, "a regular file (not a link or folder)")
    size = path.stat().st_size
    if size > MAX_SHEET_BYTES:
        raise _refuse(shown_as, None, f"{size} bytes", f"at most {MAX_SHEET_BYTES} bytes")
    reader = csv.reader(io.StringIO(_text(path.read_bytes(), shown_as), newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as error:
        raise _refuse(
            shown_as, reader.line_num, None, f"well-formed CSV (quotes closed and doubled): {error}"
        ) from error
    if not records or not any(cell.strip() for cell in records[0]):
        raise _refuse(shown_as, 1, None, "a header row: " + ",".join(SHEET_COLUMNS))
    header = [name.strip() for name in records[0]]
    if len(header) == 1 and (separator := next((s for s in ";\t|" if s in header[0]), None)):
        raise _refuse(shown_as, 1, header[0][:80], f"columns separated by commas, not {separator!r}")
    problems = [
        Problem(shown_as, 1, name, name, "each column name once") for name in set(header) if header.count(name) > 1
    ]
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            problems.append(
                Problem(shown_as, number, None, f"{len(record)} cells", f"{len(header)} cells, one per header column")
            )
            continue
        rows.append([*(cell.strip() or None for cell in record), shown_as, str(number)])
    if problems:
        raise BadInputError(problems)
    return pd.DataFrame(rows, columns=[*header, ROW_FILE, ROW_NUMBER], dtype=object)


def expected_columns(cells: pd.DataFrame) -> tuple[str, ...]:
    """The header a sheet is held to: the legacy one when it has neither added column, else the current one."""
    return LEGACY_SHEET_COLUMNS if not any(column in cells for column in ADDED_COLUMNS) else SHEET_COLUMNS


def text_columns(cells: pd.DataFrame) -> tuple[str, ...]:
    """The free-text columns this sheet has (a legacy sheet lacks the added ones)."""
    return tuple(column for column in TEXT_COLUMNS if column in cells)


def _dates(cells: pd.Series) -> pd.Series:
    return pd.to_datetime(cells, format=ISO_DATE_FORMAT, errors="coerce")


def to_observations(cells: pd.DataFrame, source_id: str) -> pd.DataFrame:
    """Type a sheet's cells into the observation schema (keeping `_file` and `_row`).

    Meant for rows the `sheet_cells` suite passed; anything else becomes missing, never an exception.
    """
    text = cells.astype(object).where(cells.notna(), None)
    missing = pd.Series(None, index=cells.index, dtype=object)
    frame = pd.DataFrame(
        {
            "figure_id": text["figure_id"],
            "source_id": source_id,
            "jurisdiction": text["jurisdiction_iso3"],
            "subdivision": text["subnational_area"],
            "period_start": _dates(text["period_start"]),
            "period_end": _dates(text["period_end"]),
            "target_group": text["target_group"],
            "measure": text["measure"],
            "value": pd.to_numeric(text["value"], errors="coerce").astype("float64"),
            "unit": text["unit"],
            "breakdown": text.get("breakdown", missing),
            "qualifier": text["qualifier"].fillna("exact"),
            "publisher": text["publisher"],
            "source_type": text.get("source_type", UNKNOWN_SOURCE_TYPE),
            "source_title": text["source_title"],
            "source_url": text["source_url"],
            "published_date": text["published_date"],
            "quote": text["quote"],
            "language": text["language"],
            "notes": text["notes"],
            "locator": text[ROW_FILE] + " row " + text[ROW_NUMBER],
            "flags": None,
        },
        index=cells.index,
    )
    return frame[list(OBSERVATION_COLUMNS)].assign(**{ROW_FILE: text[ROW_FILE], ROW_NUMBER: text[ROW_NUMBER]})
