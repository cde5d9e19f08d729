"""Curated figure sheets (`data/raw/figures/*.csv`) as a source kind: every row a published figure with its
publisher, URL and exact quote; any bad row stops the run (people typed it: fix it)."""

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import dagster as dg
import lazy_loader as lazy

from pipelines import sheets
from pipelines.kinds.base import RawReading, StagedReading
from pipelines.layout import Layout, UnsafePathError
from pipelines.markdown import markdown_table
from pipelines.problems import BadInputError, Problem
from pipelines.provenance import Origin, read_origin, sha256_of, sidecar_path
from pipelines.schema import ROW_FILE, ROW_NUMBER
from pipelines.validation.checks import CURATED_KIND, WARN, CheckOutcome, as_in_source
from pipelines.validation.results import RuleResult
from pipelines.validation.rules import ORIGIN, READABLE, sheet_cells_suite, sheet_structure_suite

pd = lazy.load("pandas", error_on_import=True)

ReadCells = Callable[[Path, str], sheets.SheetCells]  # a sheet file's cells, or BadInputError
RAW_PREVIEW_COLUMNS = ["figure_id", "jurisdiction_iso3", "period_end", "measure", "value", "unit", "publisher"]


def sheet_origin(layout: Layout, sheet: sheets.Sheet) -> tuple[Origin | None, list[Problem]]:
    """The sheet's declared origin, or None with a problem saying the sidecar is missing."""
    meta = sidecar_path(sheet.path)
    if not meta.exists():
        shown = layout.relative(meta)
        return None, [Problem(shown, None, None, None, "an origin sidecar for this sheet (producer, title, ...)")]
    return read_origin(meta, layout.relative(meta)), []


def sheet_provenance(layout: Layout, sheet: sheets.Sheet, origin: Origin | None, kind: str) -> dict[str, object]:
    """The sheet's row of the warehouse table `sources` (without `row_count`, which staging adds)."""
    return {
        "source_id": sheet.source_id,
        "kind": kind,
        "raw_path": layout.relative(sheet.path),
        "sha256": sha256_of(sheet.path),
        "size_bytes": sheet.path.stat().st_size,
        **(origin.as_dict() if origin else {"title": sheet.name}),
        "retrieved_at": origin.date_accessed if origin else None,
    }


def _raw_preview(cells: "pd.DataFrame | None") -> str:
    """The sheet's first rows as the analyst typed them."""
    if cells is None:
        return "unreadable: see the structure check"
    shown = cells.reindex(columns=RAW_PREVIEW_COLUMNS).head(5).astype(object)
    return markdown_table(RAW_PREVIEW_COLUMNS, shown.where(shown.notna(), None).values.tolist(), len(cells))


def _code_check(key: dg.AssetKey, name: str, rule, problems: list[Problem], **kwargs) -> CheckOutcome:
    return CheckOutcome(key, name, (RuleResult(rule, len(problems), tuple(problems)),), **kwargs)


def read_raw_sheet(layout: Layout, sheet: sheets.Sheet, key: dg.AssetKey, read: ReadCells) -> RawReading:
    """The raw step of any sheet-like source: `read(path, shown_as)` gives its cells or raises BadInputError;
    the structure and origin checks and the metadata are the same for every such kind."""
    from pipelines.validation.expectations import validate_frame

    shown_as = layout.relative(sheet.path)
    try:
        layout.inside_data(sheet.path)
    except UnsafePathError as error:
        problem = Problem(shown_as, None, None, str(sheet.path.resolve()), "a file inside data/ (not a link out)")
        raise BadInputError([problem]) from error
    try:
        read_cells, read_problems = read(sheet.path, shown_as), []
        cells = read_cells.cells
    except BadInputError as error:
        read_cells, cells, read_problems = None, None, error.problems
    if cells is None:
        outcomes = [_code_check(key, "structure", READABLE, read_problems)]
    else:
        results = validate_frame(cells, sheet_structure_suite(sheets.expected_columns(cells)), shown_as)
        outcomes = [CheckOutcome(key, "structure", tuple(as_in_source(r, {}, read_cells.locate) for r in results))]
    try:
        origin, missing = sheet_origin(layout, sheet)
        outcomes.append(_code_check(key, "origin", ORIGIN, missing, severity=WARN, note="no sidecar"))
    except BadInputError as error:
        origin = None
        outcomes.append(_code_check(key, "origin", ORIGIN, error.problems))
    checksum = sha256_of(sheet.path) if sheet.path.is_file() else "unreadable"
    metadata = {
        "path": dg.MetadataValue.path(shown_as),
        "sha256": checksum,
        "size_bytes": sheet.path.stat().st_size if sheet.path.exists() else 0,
        "dagster/row_count": 0 if cells is None else len(cells),
        "origin": dg.MetadataValue.json(origin.as_dict() if origin else {}),
        "preview": dg.MetadataValue.md(_raw_preview(cells)),
    }
    problems = [problem for outcome in outcomes if outcome.blocks for problem in outcome.problems]
    notes = list(read_cells.notes) if read_cells else []
    return RawReading(metadata, checksum, outcomes, problems, messages=notes)


def stage_sheet(layout: Layout, sheet: sheets.Sheet, key: dg.AssetKey, read: ReadCells, kind: str) -> StagedReading:
    """The staging step of any sheet-like source: its cells checked for readable formats, then typed."""
    from pipelines.validation.expectations import validate_frame

    shown_as = layout.relative(sheet.path)
    read_cells = read(sheet.path, shown_as)
    cells = read_cells.cells
    origin, _ = sheet_origin(layout, sheet)
    results = validate_frame(cells, sheet_cells_suite(sheets.text_columns(cells)), shown_as)
    unreadable = {(str(p.file), str(p.row)) for result in results for p in result.problems}
    places = zip(cells[ROW_FILE], cells[ROW_NUMBER], strict=True)
    readable = pd.Series([place not in unreadable for place in places], index=cells.index, dtype=bool)
    formats = CheckOutcome(key, "cells_readable", tuple(as_in_source(r, {}, read_cells.locate) for r in results))
    return StagedReading(
        observations=sheets.to_observations(cells[readable], sheet.source_id),
        file=shown_as,
        provenance=sheet_provenance(layout, sheet, origin, kind),
        outcomes=[formats],
        rejected=formats.problems,
        warnings=list(read_cells.notes),
        columns_as_in_source=sheets.SHEET_NAME_OF,
        locate=read_cells.locate,
    )


def read_csv_cells(path: Path, shown_as: str) -> sheets.SheetCells:
    return sheets.SheetCells(sheets.read_sheet(path, shown_as))


class FigureSheets:
    """CSV figure sheets in `data/raw/figures/`."""

    name = CURATED_KIND
    official = False
    raw_checks: ClassVar[dict[str, str]] = {
        "structure": (
            "The file reads as a UTF-8 CSV with exactly the reference columns (or those of a sheet written before "
            "`source_type` and `breakdown`) and at least one figure row."
        ),
        "origin": "The origin sidecar names producer, title, citation, access date and licence (missing: warning).",
    }
    staging_checks: ClassVar[dict[str, str]] = {
        "cells_readable": "Numbers are written with digits only, dates as YYYY-MM-DD, and no cell holds a formula.",
    }
    preview_columns: ClassVar[list[str]] = ["figure_id", "jurisdiction", "period_end", "measure", "value", "unit"]

    def discover(self, layout: Layout) -> list[sheets.Sheet]:
        return sheets.discover_sheets(layout.figures_dir)

    def asset_kinds(self, sheet: sheets.Sheet) -> set[str]:
        return {"csv"}

    def describe_raw(self, layout: Layout, sheet: sheets.Sheet) -> str:
        return (
            f"The curated figure sheet `{layout.relative(sheet.path)}` exactly as committed: every row a published "
            "figure with its publisher, URL and exact quote. Changes when an analyst edits the sheet."
        )

    def describe_staged(self, layout: Layout, sheet: sheets.Sheet) -> str:
        return (
            f"`{layout.relative(sheet.path)}` parsed into the common observation schema (one row per figure, typed, "
            "with its citation). A sheet with any bad row stops here: fix the rows named in the failure message."
        )

    def read_raw(self, layout: Layout, sheet: sheets.Sheet, key: dg.AssetKey, download: bool) -> RawReading:
        return read_raw_sheet(layout, sheet, key, read_csv_cells)

    def stage(self, layout: Layout, sheet: sheets.Sheet, key: dg.AssetKey) -> StagedReading:
        return stage_sheet(layout, sheet, key, read_csv_cells, self.name)


KIND = FigureSheets()
