"""CSV exports neutralise spreadsheet formulas and keep numbers as numbers."""

import csv

from hypothesis import given
from hypothesis import strategies as st

from pipelines.exports import FORMULA_STARTS, safe_cell, write_csv


def test_formulas_are_neutralised_numbers_kept(tmp_path):
    target = tmp_path / "out.csv"
    rows = [{"a": '=HYPERLINK("http://x")', "b": -5, "c": "+1", "d": "@SUM(A1)", "e": "136000", "f": None}]
    write_csv(target, list("abcdef"), rows)
    with target.open(encoding="utf-8", newline="") as handle:
        written = next(iter(csv.DictReader(handle)))
    assert written == {
        "a": '\'=HYPERLINK("http://x")',
        "b": "-5",
        "c": "'+1",
        "d": "'@SUM(A1)",
        "e": "136000",
        "f": "",
    }


@given(st.text())
def test_no_text_cell_starts_a_formula(text):
    cell = safe_cell(text)
    assert not str(cell).startswith(FORMULA_STARTS)
    assert str(cell).removeprefix("'") == text or cell == text


def test_a_csv_with_the_same_bytes_is_left_alone_and_a_changed_one_replaced(tmp_path):
    target = tmp_path / "out.csv"
    write_csv(target, ["a"], [{"a": 1}])
    before = target.stat()
    write_csv(target, ["a"], [{"a": 1}])
    assert (target.stat().st_ino, target.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    write_csv(target, ["a"], [{"a": 2}])
    assert target.stat().st_ino != before.st_ino and target.read_bytes() == b"a\r\n2\r\n"
