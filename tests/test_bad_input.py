# ruff: noqa: E501  (the corpus reads best as one case per line)
"""The bad-input corpus: each malformed sheet fails the run with file, row, column, value and what was expected,
its rows or the file are kept as rejected, and the last good warehouse and charts stay byte for byte."""

import csv
import datetime as dt
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from workbooks import typed, write_ods, write_xlsx

from conftest import failure_text, fingerprint, materialisation, materialise
from pipelines.layout import Layout
from pipelines.versions import observed_versions

SHEET = "data/raw/figures/enforcement_figures.csv"
SIDECAR = "data/raw/figures/enforcement_figures.meta.yml"
SOURCE = "figures_enforcement_figures"
GOOD_ROW = (
    "TST-2020-01,KAZ,,2020-01-01,2020-12-31,employers,fined,12,employers,,,Test Publisher,official,Test title,"
    'https://example.org/report,2021-01-05,"12 employers were fined.",en,test row'
)
PESETAS_IN_2005 = GOOD_ROW.replace(
    "2020-01-01,2020-12-31,employers,fined,12,employers", "2005-01-01,2005-12-31,employers,fine_amount,12,ESP"
)


def header() -> str:
    return (Path(__file__).parent.parent / SHEET).read_text(encoding="utf-8").splitlines()[0]


def rewrite(path: Path, change: Callable[[list[list[str]]], None]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    change(rows)
    path.chmod(0o644)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def set_cell(row_number: int, column: str, value: str):
    def change(layout: Layout) -> None:
        def edit(rows):
            rows[row_number - 1][rows[0].index(column)] = value

        rewrite(layout.root / SHEET, edit)

    return change


def rename_column(old: str, new: str | None):
    """Rename a header column, or drop it (new=None)."""

    def change(layout: Layout) -> None:
        def edit(rows):
            index = rows[0].index(old)
            for row in rows:
                if new is None:
                    del row[index]
            if new is not None:
                rows[0][index] = new

        rewrite(layout.root / SHEET, edit)

    return change


def add_column(layout: Layout) -> None:
    rewrite(layout.root / SHEET, lambda rows: [row.append("remark" if i else "remarks") for i, row in enumerate(rows)])


def new_sheet(content: bytes | str, name: str = "new.csv"):
    """A second sheet (with a copy of the origin sidecar) holding `content`."""

    def change(layout: Layout) -> None:
        target = layout.figures_dir / name
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        shutil.copy(layout.root / SIDECAR, target.with_name(target.stem + ".meta.yml"))

    return change


def semicolons(layout: Layout) -> None:
    new_sheet(header().replace(",", ";") + "\n" + GOOD_ROW.replace(",", ";") + "\n")(layout)


def huge_file(layout: Layout) -> None:
    target = layout.figures_dir / "huge.csv"
    with target.open("w", encoding="utf-8") as handle:
        handle.write(header() + "\n")
        block = (GOOD_ROW + "\n") * 1000
        while handle.tell() < 100 * 1024 * 1024:
            handle.write(block)


def symlink_out(layout: Layout) -> None:
    outside = layout.root / "outside.csv"
    outside.write_text(header() + "\n" + GOOD_ROW + "\n", encoding="utf-8")
    os.symlink(outside, layout.figures_dir / "linked.csv")


def duplicate_header(layout: Layout) -> None:
    new_sheet(header() + ",value\n" + GOOD_ROW + ",12\n")(layout)


def incomplete_origin(layout: Layout) -> None:
    path = layout.root / SIDECAR
    path.write_text(path.read_text(encoding="utf-8").replace("  license:", "  licence_note:"), encoding="utf-8")


def unreadable_origin(layout: Layout) -> None:
    path = layout.root / SIDECAR
    path.write_text(path.read_text(encoding="utf-8") + "notes: [an unclosed list\n", encoding="utf-8")


def workbook(edit: Callable | None = None, name: str = "figures.xlsx", tabs: dict | None = None):
    """A workbook holding the good row in tab 'KAZ' (cells typed), with a copy of the origin sidecar;
    `edit(workbook)` then changes it with openpyxl."""

    def change(layout: Layout) -> None:
        names = header().split(",")
        good = [typed(column, text) for column, text in zip(names, next(csv.reader([GOOD_ROW])), strict=True)]
        path = layout.figures_dir / name
        content = tabs if tabs is not None else {"KAZ": [names, good]}
        if path.suffix == ".ods":
            write_ods(path, content)
        else:
            book = write_xlsx(path, content)
            if edit:
                edit(book)
                book.save(path)
        shutil.copy(layout.root / SIDECAR, path.with_name(path.stem + ".meta.yml"))

    return change


def put(cell: str, value: object, tab: str = "KAZ"):
    def edit(book) -> None:
        book[tab][cell] = value

    return edit


def text_formula(book) -> None:
    cell = book["KAZ"]["Q2"]
    cell.value = '=HYPERLINK("http://evil.example","click")'
    cell.data_type = "s"  # typed as text, not as a formula


def merged(book) -> None:
    book["KAZ"].merge_cells("K2:L2")


def hidden_row(book) -> None:
    sheet = book["KAZ"]
    sheet.append([cell.value for cell in sheet[2]])
    sheet["A3"] = "TST-2020-02"
    sheet.row_dimensions[3].hidden = True


def hidden_tab(book) -> None:
    book.create_sheet("Visible").append(["notes"])
    book["KAZ"].sheet_state = "hidden"


def second_tab_same_id(book) -> None:
    copy = book.copy_worksheet(book["KAZ"])
    copy.title = "KAZ 2"


def raw_file(content: bytes, name: str = "figures.xlsx"):
    def change(layout: Layout) -> None:
        (layout.figures_dir / name).write_bytes(content)

    return change


def truncated_workbook(layout: Layout) -> None:
    workbook()(layout)
    path = layout.figures_dir / "figures.xlsx"
    path.write_bytes(path.read_bytes()[:300])


def huge_workbook(layout: Layout) -> None:
    with (layout.figures_dir / "figures.xlsx").open("wb") as handle:
        handle.write(b"PK\x03\x04" + bytes(50 * 1024 * 1024))


@dataclass(frozen=True)
class Case:
    """A malformed input, what the run must say, and what is kept as rejected: (row, column, value) or the
    file (row None) in `source`'s rejected CSV."""

    id: str
    make: Callable[[Layout], None]
    message: tuple[str, ...]
    rejected: tuple[str, str | None, str | None] | None = None
    source: str = SOURCE


CSV = "enforcement_figures.csv"
NEW = "figures_new"
CASES = [
    Case("missing-column", rename_column("measure", None), (CSV, "row 1", "column 'measure'", "this column in the header"), ("1", "measure", "")),
    Case("extra-column", add_column, (CSV, "row 1", "column 'remarks'", "no other column than those of the reference header"), ("1", "remarks", "remarks")),
    Case("renamed-column", rename_column("quote", "Quote"), ("column 'quote'", "this column in the header", "column 'Quote'"), ("1", "Quote", "Quote")),
    Case("empty-file", new_sheet(b""), ("new.csv", "row 1", "expected a header row"), ("1", None, None), NEW),
    Case("header-only", new_sheet(header() + "\n"), ("new.csv", "'0 rows'", "at least one figure row"), ("", None, "0 rows"), NEW),
    Case("latin-1", new_sheet((header() + "\n" + GOOD_ROW.replace("Test title", "Défense")).encode("latin-1")), ("new.csv", "row 2", "UTF-8 text", "Latin-1"), ("2", None, "b'\\xe9fen'"), NEW),
    Case("utf-16", new_sheet((header() + "\n" + GOOD_ROW + "\n").encode("utf-16")), ("new.csv", "UTF-16 text", "CSV UTF-8"), ("", None, "UTF-16 text"), NEW),
    Case("semicolon-delimiter", semicolons, ("new.csv", "row 1", "columns separated by commas, not ';'"), ("1", None, header().replace(",", ";")[:80]), NEW),
    Case("thousands-comma", set_cell(2, "value", "136,000"), (CSV, "row 2", "column 'value'", "'136,000'", "digits only"), ("2", "value", "136,000")),
    Case("thousands-space", set_cell(3, "value", "17 000"), (CSV, "row 3", "column 'value'", "'17 000'", "no thousands separators"), ("3", "value", "17 000")),
    Case("negative", set_cell(4, "value", "-5"), (CSV, "row 4", "column 'value'", "'-5'", "non-negative"), ("4", "value", "-5")),
    Case("decimal-count", set_cell(4, "value", "12.5"), (CSV, "row 4", "column 'value'", "'12.5'", "a whole number for a count unit"), ("4", "value", "12.5")),
    Case("non-numeric", set_cell(3, "value", "lots"), (CSV, "row 3", "column 'value'", "'lots'", "digits only"), ("3", "value", "lots")),
    Case("nan", set_cell(5, "value", "NaN"), (CSV, "row 5", "column 'value'", "'NaN'", "digits only"), ("5", "value", "NaN")),
    Case("date-day-first", set_cell(6, "period_end", "31/12/2008"), (CSV, "row 6", "column 'period_end'", "'31/12/2008'", "YYYY-MM-DD"), ("6", "period_end", "31/12/2008")),
    Case("date-month-13", set_cell(6, "period_start", "2008-13-01"), (CSV, "row 6", "column 'period_start'", "'2008-13-01'", "YYYY-MM-DD"), ("6", "period_start", "2008-13-01")),
    Case("start-after-end", set_cell(2, "period_start", "2009-06-01"), (CSV, "row 2", "column 'period_start'", "'2009-06-01'", "a start on or before period_end"), ("2", "period_start", "2009-06-01")),
    Case("future-end", set_cell(2, "period_end", "2099-12-31"), (CSV, "row 2", "column 'period_end'", "'2099-12-31'", "not in the future"), ("2", "period_end", "2099-12-31")),
    Case("implausibly-early", set_cell(2, "period_start", "1899-01-01"), (CSV, "row 2", "column 'period_start'", "'1899-01-01'", "a date from 1990-01-01"), ("2", "period_start", "1899-01-01")),
    Case("future-publication", set_cell(2, "published_date", "2099-01-01"), (CSV, "row 2", "column 'published_date'", "not after today"), ("2", "published_date", "2099-01-01")),
    Case("empty-period-end", set_cell(3, "period_end", ""), (CSV, "row 3", "column 'period_end'", "the last day the figure covers"), ("3", "period_end", "")),
    Case("unknown-measure", set_cell(2, "measure", "jailed"), (CSV, "row 2", "column 'measure'", "'jailed'", "arrested"), ("2", "measure", "jailed")),
    Case("unknown-target-group", set_cell(2, "target_group", "workers"), (CSV, "row 2", "column 'target_group'", "'workers'", "one of migrants, employers"), ("2", "target_group", "workers")),
    Case("unknown-unit", set_cell(2, "unit", "people"), (CSV, "row 2", "column 'unit'", "'people'", "a count unit"), ("2", "unit", "people")),
    Case("money-without-currency", set_cell(4, "measure", "fine_amount"), (CSV, "row 4", "column 'unit'", "'employers'", "ISO 4217 currency"), ("4", "unit", "employers")),
    Case("unknown-jurisdiction", set_cell(5, "jurisdiction_iso3", "KAZAKH"), (CSV, "row 5", "column 'jurisdiction_iso3'", "'KAZAKH'", "ISO 3166-1 alpha-3"), ("5", "jurisdiction_iso3", "KAZAKH")),
    Case("made-up-iso-code", set_cell(5, "jurisdiction_iso3", "XKZ"), (CSV, "row 5", "column 'jurisdiction_iso3'", "'XKZ'", "EU27"), ("5", "jurisdiction_iso3", "XKZ")),
    Case("unknown-qualifier", set_cell(5, "qualifier", "roughly"), (CSV, "row 5", "column 'qualifier'", "'roughly'", "approximate"), ("5", "qualifier", "roughly")),
    Case("duplicate-figure-id", set_cell(3, "figure_id", "KAZ-2008-FIDH-01"), (CSV, "row 3", "column 'figure_id'", "an id used by one row only; also used on row 2"), ("3", "figure_id", "KAZ-2008-FIDH-01")),
    Case("duplicate-id-across-sheets", new_sheet(header() + "\n" + GOOD_ROW.replace("TST-2020-01", "KAZ-2008-FIDH-01") + "\n"), ("new.csv", "row 2", "column 'figure_id'", f"also used on data/raw/figures/{CSV} row 2"), None),
    Case("missing-quote", set_cell(2, "quote", ""), (CSV, "row 2", "column 'quote'", "the exact passage the number was read from"), ("2", "quote", "")),
    Case("javascript-url", set_cell(2, "source_url", "javascript:alert(1)"), (CSV, "row 2", "column 'source_url'", "'javascript:alert(1)'", "an http:// or https:// address"), ("2", "source_url", "javascript:alert(1)")),
    Case("file-url", set_cell(2, "source_url", "file:///etc/passwd"), (CSV, "row 2", "column 'source_url'", "'file:///etc/passwd'", "http:// or https://"), ("2", "source_url", "file:///etc/passwd")),
    Case("formula-in-quote", set_cell(2, "quote", '=HYPERLINK("http://evil.example","click")'), (CSV, "row 2", "column 'quote'", "not a spreadsheet formula"), ("2", "quote", '=HYPERLINK("http://evil.example","click")')),
    Case("formula-as-url", set_cell(2, "source_url", '=HYPERLINK("http://x.example")'), (CSV, "row 2", "column 'source_url'", "http:// or https://"), ("2", "source_url", '=HYPERLINK("http://x.example")')),
    Case("unclosed-quote", new_sheet(header() + "\n" + GOOD_ROW.replace('"12 employers', '12 "employers') + '\n"unclosed,x\n'), ("new.csv", "row 3", "well-formed CSV"), ("3", None, None), NEW),
    Case("too-few-cells", new_sheet(header() + "\n" + GOOD_ROW.rsplit(",", 2)[0] + "\n"), ("new.csv", "row 2", "'17 cells'", "19 cells, one per header column"), ("2", None, "17 cells"), NEW),
    Case("duplicate-header", duplicate_header, ("new.csv", "row 1", "column 'value'", "each column name once"), ("1", "value", "value"), NEW),
    Case("100-mb-file", huge_file, ("huge.csv", "at most 20971520 bytes"), ("", None, None), "figures_huge"),
    Case("binary-renamed-csv", new_sheet(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "image.csv"), ("image.csv", "NUL bytes", "binary file"), ("", None, None), "figures_image"),
    Case("symlink-outside-data", symlink_out, ("linked.csv", "outside.csv", "a file inside data/"), ("", None, None), "figures_linked"),
    Case("unknown-source-type", set_cell(2, "source_type", "blog"), (CSV, "row 2", "column 'source_type'", "'blog'", "official_statistics"), ("2", "source_type", "blog")),
    Case("historic-currency-after-withdrawal", new_sheet(header() + "\n" + PESETAS_IN_2005 + "\n"), ("new.csv", "row 2", "column 'period_end'", "'2005-12-31'", "ESP (Spanish Peseta) is a historic ISO 4217 code, withdrawn 2002-03"), ("2", "period_end", "2005-12-31"), NEW),
    Case("origin-not-yaml", unreadable_origin, ("enforcement_figures.meta.yml", "a readable YAML file", "line "), ("", None, None)),
    Case("origin-incomplete", incomplete_origin, ("enforcement_figures.meta.yml", "column 'license'", "a non-empty origin field"), ("", "license", "")),
]  # fmt: skip


XLSX, ODS, BOOK = "figures.xlsx, tab 'KAZ'", "figures.ods, tab 'KAZ'", "figures_figures"
WORKBOOK_CASES = [
    Case("xlsx-non-numeric", workbook(put("H2", "lots")), (XLSX, "cell H2 (value)", "got 'lots'", "digits only"), ("H2", "value", "lots"), BOOK),
    Case("xlsx-decimal-count", workbook(put("H2", 12.5)), (XLSX, "cell H2 (value)", "'12.5'", "a whole number for a count unit"), ("H2", "value", "12.5"), BOOK),
    Case("xlsx-negative", workbook(put("H2", -5)), (XLSX, "cell H2 (value)", "'-5'", "non-negative"), ("H2", "value", "-5"), BOOK),
    Case("xlsx-thousands-text", workbook(put("H2", "136,000")), (XLSX, "cell H2 (value)", "'136,000'", "digits only"), ("H2", "value", "136,000"), BOOK),
    Case("xlsx-date-with-time", workbook(put("E2", dt.datetime(2020, 12, 31, 10, 30))), (XLSX, "cell E2 (period_end)", "'2020-12-31 10:30:00'", "YYYY-MM-DD"), ("E2", "period_end", "2020-12-31 10:30:00"), BOOK),
    Case("xlsx-date-day-first-text", workbook(put("E2", "31/12/2020")), (XLSX, "cell E2 (period_end)", "'31/12/2020'", "YYYY-MM-DD"), ("E2", "period_end", "31/12/2020"), BOOK),
    Case("xlsx-future-end", workbook(put("E2", dt.date(2099, 12, 31))), (XLSX, "cell E2 (period_end)", "'2099-12-31'", "not in the future"), ("E2", "period_end", "2099-12-31"), BOOK),
    Case("xlsx-unknown-measure", workbook(put("G2", "jailed")), (XLSX, "cell G2 (measure)", "'jailed'", "arrested"), ("G2", "measure", "jailed"), BOOK),
    Case("xlsx-unknown-jurisdiction", workbook(put("B2", "KAZAKH")), (XLSX, "cell B2 (jurisdiction_iso3)", "'KAZAKH'", "ISO 3166-1 alpha-3"), ("B2", "jurisdiction_iso3", "KAZAKH"), BOOK),
    Case("xlsx-formula-typed-as-text", workbook(text_formula), (XLSX, "cell Q2 (quote)", "not a spreadsheet formula"), ("Q2", "quote", '=HYPERLINK("http://evil.example","click")'), BOOK),
    Case("xlsx-formula-without-result", workbook(put("H2", "=6*2")), (XLSX, "cell H2 (value)", "got '=6*2'", "a saved result"), ("H2", "value", "=6*2"), BOOK),
    Case("xlsx-error-value", workbook(put("H2", "#DIV/0!")), (XLSX, "cell H2 (value)", "'#DIV/0!'", "not a spreadsheet error"), ("H2", "value", "#DIV/0!"), BOOK),
    Case("xlsx-merged-cells", workbook(merged), (XLSX, "cell K2", "'K2:L2'", "no merged cells"), ("K2", None, "K2:L2"), BOOK),
    Case("xlsx-hidden-row", workbook(hidden_row), (XLSX, "row 3", "no hidden rows"), ("3", None, "hidden row"), BOOK),
    Case("xlsx-hidden-tab", workbook(hidden_tab), (XLSX, "a visible tab"), ("", None, None), BOOK),
    Case("xlsx-renamed-header", workbook(put("Q1", "Quote")), (XLSX, "cell Q1 (Quote)", "a column of the reference header", "row 1, column 'quote'"), ("Q1", "Quote", "Quote"), BOOK),
    Case("xlsx-header-only", workbook(tabs={"KAZ": [header().split(",")]}), (XLSX, "'0 rows'", "at least one figure row"), ("2", None, "0 rows"), BOOK),
    Case("xlsx-same-id-in-two-tabs", workbook(second_tab_same_id), ("figures.xlsx, tab 'KAZ 2', cell A2 (figure_id)", "also used on data/raw/figures/figures.xlsx, tab 'KAZ' row 2"), ("A2", "figure_id", "TST-2020-01"), BOOK),
    Case("xlsx-no-figure-tab", workbook(tabs={"Notes": [["These are notes."]]}), ("figures.xlsx", "'Notes'", "a tab whose first row is the header"), ("", None, "Notes"), BOOK),
    Case("xlsx-password-protected", raw_file(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096)), ("figures.xlsx", "without a password"), ("", None, None), BOOK),
    Case("xlsx-corrupt", truncated_workbook, ("figures.xlsx", "damaged or not a workbook"), ("", None, None), BOOK),
    Case("xlsx-50-mb", huge_workbook, ("figures.xlsx", "at most 20971520 bytes"), ("", None, None), BOOK),
    Case("ods-non-numeric", workbook(name="figures.ods", tabs={"KAZ": [header().split(","), next(csv.reader([GOOD_ROW.replace(",12,", ",lots,")]))]}), (ODS, "cell H2 (value)", "'lots'", "digits only"), ("H2", "value", "lots"), BOOK),
]  # fmt: skip
SHEET_CASES = list(CASES)  # run here; the workbook cases run in test_bad_workbooks.py, on another worker
CASES += WORKBOOK_CASES


def test_corpus_is_large_enough():
    assert len(CASES) >= 45 and len(WORKBOOK_CASES) >= 15
    assert len({case.id for case in CASES}) == len(CASES)
    assert SHEET_CASES + WORKBOOK_CASES == CASES


@pytest.mark.parametrize("case", SHEET_CASES, ids=[case.id for case in SHEET_CASES])
def test_bad_input_fails_clearly_and_keeps_last_good_outputs(built_copy_for_the_warehouse_job, built_fingerprint, case):
    fails_clearly_and_keeps_last_good_outputs(built_copy_for_the_warehouse_job, built_fingerprint, case)


def fails_clearly_and_keeps_last_good_outputs(built_copy: Layout, before: dict[str, str], case: Case) -> None:
    """Run the warehouse job on the broken copy (the sources whose files the case changed, then the warehouse, as
    `make run` after that change); check the message, the kept outputs (`before`: the fingerprint of the copy as
    made) and the rejected rows."""
    versions = observed_versions(built_copy)
    case.make(built_copy)
    result = materialise(built_copy, changed_since=versions)
    assert not result.success
    message = failure_text(result)
    for part in case.message:
        assert part in message, f"{part!r} not in:\n{message}"
    assert "(validation)" not in message, "a rule could not be evaluated"
    assert fingerprint(built_copy) == before
    assert materialisation(result, ["observations"]) is None, "the warehouse was rebuilt"
    if case.rejected is None:  # caught by the warehouse check: the new warehouse is simply not swapped in
        return
    with (built_copy.rejected_dir / f"{case.source}.csv").open(encoding="utf-8", newline="") as handle:
        in_csv = list(csv.DictReader(handle))
    with duckdb.connect(str(built_copy.rejected_log_path), read_only=True) as con:
        logged = con.execute(
            'SELECT coalesce("row", \'\'), "column", "value" FROM rejected_rows WHERE run_id = ? AND source_id = ?',
            [result.run_id, case.source],
        ).fetchall()
    row, column, value = case.rejected
    assert any(r[0] == row and r[1] == column and (value is None or r[2] == (value or None)) for r in logged), logged
    assert len(in_csv) == len(logged) and {r["run_id"] for r in in_csv} == {result.run_id}
    assert {r["row"] for r in in_csv} == {r[0] for r in logged}


def test_utf8_byte_order_mark_is_accepted(built_copy):
    """Spreadsheet programs write a BOM when saving 'CSV UTF-8': the sheet is read as if it had none."""
    versions = observed_versions(built_copy)
    new_sheet(b"\xef\xbb\xbf" + (header() + "\n" + GOOD_ROW + "\n").encode("utf-8"))(built_copy)
    result = materialise(built_copy, changed_since=versions)
    assert result.success, failure_text(result)
    with duckdb.connect(str(built_copy.warehouse_path), read_only=True) as con:
        rows = con.execute("SELECT source_id, value FROM observations WHERE figure_id = 'TST-2020-01'").fetchall()
    assert rows == [(NEW, 12.0)]


def test_a_failed_run_skips_everything_downstream(built_copy):
    """The job `make run` runs: a failed blocking check stops the warehouse, the charts and the report."""
    set_cell(4, "value", "-5")(built_copy)
    before = fingerprint(built_copy)
    result = materialise(built_copy, job="rebuild_everything", reread_datasets=False)
    started = {event.step_key for event in result.all_events if event.event_type_value == "STEP_START"}
    assert {f"raw__{SOURCE}", f"staging__{SOURCE}"} <= started
    assert all(step.startswith(("raw__", "staging__")) for step in started), started
    for key in (["observations"], ["charts", "headline_kaz_2008"], ["reports", "report_pack"]):
        assert materialisation(result, key) is None, f"{key} was rebuilt"
    assert fingerprint(built_copy) == before
    checks = {
        (e.event_specific_data.check_name, e.event_specific_data.passed)
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert ("cells_readable", False) in checks and ("structure", True) in checks
