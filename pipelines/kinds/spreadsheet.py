"""Figure sheets kept as workbooks (`data/raw/figures/*.xlsx`, `*.ods`) as a source kind: every figure tab is
read as a CSV sheet would be, with the same checks and the same policy (any bad row stops the run)."""

from typing import ClassVar

import dagster as dg

from pipelines import sheets, spreadsheets
from pipelines.kinds.base import RawReading, StagedReading
from pipelines.kinds.figure_sheet import FigureSheets, read_raw_sheet, stage_sheet
from pipelines.layout import Layout


class Spreadsheets(FigureSheets):
    """Workbooks in `data/raw/figures/`: curated figure sheets with tabs, typed dates and numbers."""

    raw_checks: ClassVar[dict[str, str]] = {
        "structure": (
            "The workbook opens (no password, not damaged, not too big); every tab whose first row names a "
            "figure_id column has exactly the reference columns, no merged cells, hidden rows or columns, no "
            "formula without a saved result; at least one figure row."
        ),
        "origin": FigureSheets.raw_checks["origin"],
    }
    staging_checks: ClassVar[dict[str, str]] = {
        "cells_readable": (
            "Text cells follow the CSV rules (numbers with digits only, dates as YYYY-MM-DD, no text that starts "
            "a formula); cells typed as numbers or dates are read as such."
        ),
    }

    def discover(self, layout: Layout) -> list[sheets.Sheet]:
        return spreadsheets.discover_spreadsheets(layout.figures_dir)

    def asset_kinds(self, sheet: sheets.Sheet) -> set[str]:
        return {sheet.path.suffix.lower().lstrip(".")}

    def describe_raw(self, layout: Layout, sheet: sheets.Sheet) -> str:
        return (
            f"The curated figure workbook `{layout.relative(sheet.path)}` exactly as committed: every tab whose "
            "first row is the reference header is read (other tabs are listed in the run log and skipped). "
            "Changes when an analyst saves the workbook."
        )

    def describe_staged(self, layout: Layout, sheet: sheets.Sheet) -> str:
        return (
            f"The figure tabs of `{layout.relative(sheet.path)}` parsed into the common observation schema, each "
            "row located by tab and row. A workbook with any bad cell stops here: the failure names tab and cell."
        )

    def read_raw(self, layout: Layout, sheet: sheets.Sheet, key: dg.AssetKey, download: bool) -> RawReading:
        return read_raw_sheet(layout, sheet, key, spreadsheets.read_spreadsheet)

    def stage(self, layout: Layout, sheet: sheets.Sheet, key: dg.AssetKey) -> StagedReading:
        return stage_sheet(layout, sheet, key, spreadsheets.read_spreadsheet, self.name)


KIND = Spreadsheets()
