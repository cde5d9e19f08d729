"""Bad figure sheets fail the run with file, row and column named; the last good outputs stay."""

import csv
import hashlib
from pathlib import Path

import pytest

from conftest import failure_text, materialise

SHEET = "data/raw/figures/enforcement_figures.csv"


def fingerprint(layout) -> dict[str, str]:
    """sha256 of the warehouse and every chart file."""
    files = [layout.warehouse_path, *sorted(layout.charts_dir.glob("*.*"))]
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


def rewrite(path: Path, change) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def set_cell(row_number: int, column: str, value: str):
    def change(rows):
        rows[row_number - 1][rows[0].index(column)] = value

    return change


def drop_column(column: str):
    def change(rows):
        index = rows[0].index(column)
        for row in rows:
            del row[index]

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            drop_column("measure"),
            ["enforcement_figures.csv", "row 1", "column 'measure'", "this column in the header"],
        ),
        (
            set_cell(3, "value", "17 000"),
            ["enforcement_figures.csv", "row 3", "column 'value'", "'17 000'", "digits only"],
        ),
        (set_cell(4, "value", "-5"), ["row 4", "column 'value'", "non-negative"]),
        (set_cell(2, "measure", "jailed"), ["row 2", "column 'measure'", "'jailed'", "arrested"]),
        (
            set_cell(5, "jurisdiction_iso3", "KAZAKH"),
            ["row 5", "column 'jurisdiction_iso3'", "ISO 3166-1 alpha-3"],
        ),
        (set_cell(6, "period_end", "31/12/2011"), ["row 6", "column 'period_end'", "YYYY-MM-DD"]),
    ],
    ids=["missing-column", "non-numeric", "negative", "unknown-measure", "unknown-jurisdiction", "bad-date"],
)
def test_bad_sheet_fails_clearly_and_keeps_last_good_outputs(built_copy, change, expected):
    before = fingerprint(built_copy)
    rewrite(built_copy.root / SHEET, change)
    result = materialise(built_copy)
    assert not result.success
    message = failure_text(result)
    for part in expected:
        assert part in message, f"{part!r} not in:\n{message}"
    assert fingerprint(built_copy) == before


def test_rejected_rows_are_kept_for_inspection(built_copy):
    rewrite(built_copy.root / SHEET, set_cell(3, "value", "lots"))
    assert not materialise(built_copy).success
    with (built_copy.rejected_dir / "figures_enforcement_figures.csv").open(encoding="utf-8") as handle:
        rejected = list(csv.DictReader(handle))
    assert [(row["row"], row["figure_id"], row["value"]) for row in rejected] == [("3", "KAZ-2008-FIDH-02", "lots")]
