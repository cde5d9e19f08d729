"""Workbooks written for tests: figure sheets as .xlsx (openpyxl) and .ods (odfpy), cells typed as an analyst's
spreadsheet program would type them (numbers as numbers, dates as dates, the rest as text)."""

import csv
import datetime as dt
import re
import zipfile
from pathlib import Path

DATE_COLUMNS = ("period_start", "period_end", "published_date")


def typed(name: str, text: str) -> object:
    """A CSV cell as a spreadsheet holds it: counts as numbers, dates as dates, empty as empty."""
    if text == "":
        return None
    if name == "value" and text.isdigit():
        return int(text)
    if name in DATE_COLUMNS and len(text) == len("2008-12-31"):  # a month or a year alone stays text
        return dt.date.fromisoformat(text)
    return text


def sheet_rows(csv_path: Path) -> list[list[object]]:
    """A CSV figure sheet's header and typed rows."""
    with csv_path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return [header] + [[typed(name, text) for name, text in zip(header, row, strict=True)] for row in rows]


def write_xlsx(path: Path, tabs: dict[str, list[list[object]]]):
    """An .xlsx with one tab per entry; returns the openpyxl workbook (already saved) for further changes."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in tabs.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return workbook


def write_ods(path: Path, tabs: dict[str, list[list[object]]]) -> None:
    """An .ods with one tab per entry, numbers and dates typed as LibreOffice types them."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    for name, rows in tabs.items():
        table = Table(name=name)
        for row in rows:
            table_row = TableRow()
            for value in row:
                if value is None:
                    cell = TableCell()
                elif isinstance(value, int):
                    cell = TableCell(valuetype="float", value=str(value))
                    cell.addElement(P(text=str(value)))
                elif isinstance(value, dt.date):
                    cell = TableCell(valuetype="date", datevalue=value.isoformat())
                    cell.addElement(P(text=value.isoformat()))
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=str(value)))
                table_row.addElement(cell)
            table.addElement(table_row)
        document.spreadsheet.addElement(table)
    document.save(str(path))


def save_formula_results(path: Path, results: dict[str, str]) -> None:
    """Store each formula's result in an .xlsx as Excel does on saving (openpyxl writes formulas without one)."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    for name, content in parts.items():
        if name.startswith("xl/worksheets/"):
            for formula, value in results.items():
                content = re.sub(
                    rf"<f>{re.escape(formula)}</f>(<v\s*/>|<v></v>)?".encode(),
                    f"<f>{formula}</f><v>{value}</v>".encode(),
                    content,
                )
            parts[name] = content
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
