"""Figure sheets kept as spreadsheets (`.xlsx`, `.ods` in `data/raw/figures/`): read every figure tab's cells.

A tab whose first row has a `figure_id` column is a figure tab and must carry the reference header (as a CSV
sheet); other tabs (notes, charts) are listed and skipped. Cells typed as numbers or dates are written out
as a CSV sheet would have them (`136000`, `2008-12-31`), text cells stay as typed, so the CSV rules apply to
both. A formula's saved result is used, and said so; a formula with no saved result, an error value, merged
cells, hidden rows, columns or tabs holding figures, an encrypted, corrupt or oversized file are refused
naming the file, the tab and the cell. openpyxl reads `.xlsx`, odfpy `.ods`.
"""

import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import lazy_loader as lazy

from pipelines.problems import BadInputError, Problem
from pipelines.schema import ROW_FILE, ROW_NUMBER
from pipelines.sheets import (
    ADDED_COLUMNS,
    LEGACY_SHEET_COLUMNS,
    MAX_SHEET_BYTES,
    SHEET_COLUMNS,
    Sheet,
    SheetCells,
    source_id_for,
)

pd = lazy.load("pandas", error_on_import=True)

SPREADSHEET_SUFFIXES = (".xlsx", ".ods")
MAX_UNPACKED_BYTES = 10 * MAX_SHEET_BYTES  # a workbook is a zip: its parts unpacked may not exceed this
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an encrypted workbook (or an old .xls) is an OLE compound file, not a zip
ODS_ERRORS = ("Err:", "#")


@dataclass(frozen=True)
class Cell:
    """One cell as the file stores it: its value (the saved result for a formula) and its formula, if any."""

    value: object
    formula: str | None = None


@dataclass
class Tab:
    """One tab of a workbook: its non-empty rows by row number, and what hides or merges cells in it."""

    name: str
    rows: dict[int, list[Cell]] = field(default_factory=dict)
    hidden: bool = False
    hidden_rows: list[int] = field(default_factory=list)
    hidden_columns: list[int] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def tab_label(shown_as: str, tab: str) -> str:
    return f"{shown_as}, tab '{tab}'"


def discover_spreadsheets(figures_dir: Path) -> list[Sheet]:
    """Every `.xlsx` and `.ods` in the figures folder, in name order (office lock files `~$…`, `.~lock…` left out)."""
    paths = [p for p in sorted(figures_dir.glob("*")) if p.suffix.lower() in SPREADSHEET_SUFFIXES]
    return [Sheet(source_id_for(path), path) for path in paths if not path.name.startswith(("~$", ".~lock"))]


def _refuse(shown_as: str, expected: str, value: str | None = None) -> BadInputError:
    return BadInputError([Problem(shown_as, None, None, value, expected)])


def _check_file(path: Path, shown_as: str) -> None:
    """Refuse what is not a plain, unencrypted workbook of a sensible size before any parser sees it."""
    if path.is_symlink() or not path.is_file():
        raise _refuse(shown_as, "a regular file (not a link or folder)")
    size = path.stat().st_size
    if size > MAX_SHEET_BYTES:
        raise _refuse(shown_as, f"at most {MAX_SHEET_BYTES} bytes: split the workbook", f"{size} bytes")
    with path.open("rb") as handle:
        start = handle.read(4)
    if start == OLE_MAGIC:
        raise _refuse(
            shown_as,
            "a workbook without a password: this file is encrypted (or an old .xls); save it without a password "
            f"as {path.suffix}",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            encrypted = "META-INF/manifest.xml" in archive.namelist() and b"encryption-data" in archive.read(
                "META-INF/manifest.xml"
            )
    except (zipfile.BadZipFile, OSError) as error:
        raise _refuse(shown_as, f"a {path.suffix} workbook (the file is damaged or not a workbook: {error})") from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise _refuse(shown_as, f"at most {MAX_UNPACKED_BYTES} bytes once unpacked", f"{unpacked} bytes unpacked")
    if encrypted:
        raise _refuse(shown_as, f"a workbook without a password: save it without a password as {path.suffix}")


def _xlsx_tabs(path: Path) -> Iterator[Tab]:
    """The tabs of an .xlsx file: saved values from one reading, formulas from another (openpyxl)."""
    import openpyxl

    values = openpyxl.load_workbook(path, data_only=True)
    formulas = openpyxl.load_workbook(path, data_only=False)
    for sheet in formulas.worksheets:
        saved = values[sheet.title]
        tab = Tab(sheet.title, hidden=sheet.sheet_state != "visible")
        tab.merged = [str(merged.coord) for merged in sheet.merged_cells.ranges]
        tab.hidden_rows = [number for number, row in sheet.row_dimensions.items() if row.hidden]
        tab.hidden_columns = [
            index - 1
            for column in sheet.column_dimensions.values()
            if column.hidden
            for index in range(column.min, column.max + 1)
        ]
        for row, saved_row in zip(sheet.iter_rows(), saved.iter_rows(), strict=True):
            cells = []
            for cell, saved_cell in zip(row, saved_row, strict=True):
                formula = None
                if cell.data_type == "f":
                    formula = cell.value if isinstance(cell.value, str) else getattr(cell.value, "text", "=?")
                value = saved_cell.value
                if saved_cell.data_type == "e":
                    value = _Error(str(value))
                cells.append(Cell(value, formula))
            if any(cell.value not in (None, "") or cell.formula for cell in cells):
                tab.rows[row[0].row] = cells
        yield tab


class _Error(str):
    """A spreadsheet error value (`#DIV/0!`, `#REF!`, `Err:502`)."""


def _ods_value(cell) -> object:
    """An .ods cell's value: numbers, dates and booleans from its office attributes, text from its paragraphs."""
    from odf import teletype
    from odf.text import P

    kind = cell.getAttribute("valuetype")
    if kind in ("float", "percentage", "currency"):
        number = float(cell.getAttribute("value"))
        return int(number) if number.is_integer() else number
    if kind == "date":
        text = cell.getAttribute("datevalue")
        return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
    if kind == "boolean":
        return cell.getAttribute("booleanvalue") == "true"
    text = "\n".join(teletype.extractText(paragraph) for paragraph in cell.getElementsByType(P))
    if cell.getAttribute("formula") and text.startswith(ODS_ERRORS):
        return _Error(text)
    return text or None


def _ods_tabs(path: Path) -> Iterator[Tab]:
    """The tabs of an .ods file (odfpy): repeated rows and cells expanded, merged and hidden cells noted."""
    from odf.opendocument import load
    from odf.table import Table, TableColumn, TableRow

    document = load(str(path))
    hidden_styles = {
        style.getAttribute("name")
        for style in document.automaticstyles.childNodes
        if any(
            getattr(child, "getAttribute", lambda _: None)("display") == "false"
            for child in getattr(style, "childNodes", [])
        )
    }
    for table in document.spreadsheet.getElementsByType(Table):
        tab = Tab(table.getAttribute("name"), hidden=table.getAttribute("stylename") in hidden_styles)
        column = 0
        for definition in table.getElementsByType(TableColumn):
            repeat = int(definition.getAttribute("numbercolumnsrepeated") or 1)
            if definition.getAttribute("visibility") in ("collapse", "filter"):
                tab.hidden_columns += range(column, column + min(repeat, 1024))
            column += repeat
        number = 1
        for row in table.getElementsByType(TableRow):
            repeat = int(row.getAttribute("numberrowsrepeated") or 1)
            cells: list[Cell] = []
            for element in row.childNodes:
                kind = element.qname[1]
                if kind not in ("table-cell", "covered-table-cell"):
                    continue
                times = int(element.getAttribute("numbercolumnsrepeated") or 1)
                spanned = int(element.getAttribute("numbercolumnsspanned") or 1) if kind == "table-cell" else 1
                down = int(element.getAttribute("numberrowsspanned") or 1) if kind == "table-cell" else 1
                if spanned > 1 or down > 1:
                    first = f"{column_letter(len(cells))}{number}"
                    tab.merged.append(f"{first}:{column_letter(len(cells) + spanned - 1)}{number + down - 1}")
                value = _ods_value(element) if kind == "table-cell" else None
                formula = (element.getAttribute("formula") or None) if kind == "table-cell" else None
                if value is None and not formula:
                    cells.extend([Cell(None)] * min(times, 1024))
                else:
                    cells.extend([Cell(value, formula)] * times)
            if any(cell.value not in (None, "") or cell.formula for cell in cells):
                for offset in range(repeat):
                    tab.rows[number + offset] = cells
                    if row.getAttribute("visibility") in ("collapse", "filter"):
                        tab.hidden_rows.append(number + offset)
            number += repeat
        yield tab


def _text(value: object) -> str | None:
    """A typed cell written out as a CSV sheet has it; text stays as typed (the CSV rules judge it)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() or None


def _header(tab: Tab) -> list[str] | None:
    """The tab's header if its first row names a `figure_id` column; None for a tab that holds no figures."""
    first = tab.rows.get(1)
    names = [(_text(cell.value) or "") for cell in first or []]
    return names if "figure_id" in names else None


def _tab_problems(tab: Tab, header: list[str], where: str) -> list[Problem]:
    """What stops a figure tab being read row by row: a wrong header, merged cells, hidden rows or columns."""
    problems = []
    if tab.hidden:
        problems.append(Problem(where, None, None, None, "a visible tab: unhide it or move its figures out"))
    width = max(index for index, name in enumerate(header) if name) + 1
    named = header[:width]
    for index, name in enumerate(named):
        cell = f"{column_letter(index)}1"
        if name not in SHEET_COLUMNS:
            problems.append(Problem(where, cell, name or None, name, "a column of the reference header"))
        elif named.count(name) > 1:
            problems.append(Problem(where, cell, name, name, "each column name once"))
    reference = SHEET_COLUMNS if any(name in named for name in ADDED_COLUMNS) else LEGACY_SHEET_COLUMNS
    problems += [
        Problem(where, "1", name, None, "this column in the header") for name in reference if name not in named
    ]
    problems += [
        Problem(where, cells.split(":")[0], None, cells, "no merged cells in a figure tab: unmerge them")
        for cells in tab.merged
    ]
    problems += [
        Problem(where, str(number), None, "hidden row", "no hidden rows in a figure tab: unhide or delete it")
        for number in tab.hidden_rows
        if number in tab.rows
    ]
    problems += [
        Problem(where, f"{column_letter(index)}1", None, "hidden column", "no hidden columns in a figure tab")
        for index in tab.hidden_columns
        if index < width
    ]
    return problems


def read_spreadsheet(path: Path, shown_as: str) -> SheetCells:
    """A workbook's figure tabs as one frame of text cells (as `pipelines.sheets.read_sheet` gives for a CSV).

    Refuses, naming file, tab and cell, what cannot be read as figures; notes the tabs skipped and each
    formula whose saved result is used.
    """
    _check_file(path, shown_as)
    try:
        tabs = list(_xlsx_tabs(path) if path.suffix.lower() == ".xlsx" else _ods_tabs(path))
    except Exception as error:  # any parser error means the same to an analyst: a damaged file
        raise _refuse(shown_as, f"a readable {path.suffix} workbook ({type(error).__name__}: {error})") from error
    problems: list[Problem] = []
    notes: list[str] = []
    frames = []
    letters: dict[str, dict[str, str]] = {}
    for tab in tabs:
        where = tab_label(shown_as, tab.name)
        header = _header(tab)
        if header is None:
            notes.append(f"{where}: skipped (its first row has no figure_id column, so it holds no figures)")
            continue
        if tab_problems := _tab_problems(tab, header, where):
            problems += tab_problems
            continue
        letters[where] = {name: column_letter(index) for index, name in enumerate(header) if name}
        rows = []
        for number, cells in sorted(tab.rows.items()):
            if number == 1:
                continue
            texts = []
            for index, name in enumerate(header):
                if not name:
                    continue
                cell = cells[index] if index < len(cells) else Cell(None)
                place = f"{column_letter(index)}{number}"
                if isinstance(cell.value, _Error):
                    problems.append(Problem(where, place, name, cell.value, "a value, not a spreadsheet error"))
                elif cell.formula and cell.value is None:
                    problems.append(
                        Problem(
                            where,
                            place,
                            name,
                            cell.formula,
                            "a saved result: the formula's result was never stored; open and save the file in "
                            "Excel or LibreOffice, or type the value",
                        )
                    )
                elif cell.formula:
                    notes.append(f"{where}, cell {place} ({name}): formula {cell.formula!r}: its saved result is used")
                texts.append(_text(cell.value))
            if any(texts):
                rows.append([*texts, where, str(number)])
        if not rows:
            problems.append(Problem(where, "2", None, "0 rows", "at least one figure row under the header"))
        frames.append(pd.DataFrame(rows, columns=[*filter(None, header), ROW_FILE, ROW_NUMBER], dtype=object))
    if not frames and not problems:
        problems.append(
            Problem(shown_as, None, None, ", ".join(tab.name for tab in tabs), "a tab whose first row is the header")
        )
    if problems:
        raise BadInputError(problems)
    return SheetCells(pd.concat(frames, ignore_index=True), tuple(notes), letters)
