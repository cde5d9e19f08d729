"""CSV files for analysts: spreadsheet formulas neutralised, numbers left as numbers."""

import contextlib
import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

from pipelines.files import replaced_on_success

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe; keep numbers and None."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def write_csv(target: Path, columns: list[str], rows: Iterable[Mapping[str, object]]) -> None:
    """Write rows as UTF-8 CSV, replacing `target` only once the whole file is written; a file that already
    holds exactly these bytes is left alone."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(column)) for column in columns])
    content = text.getvalue().encode("utf-8")
    with contextlib.suppress(OSError):
        if target.stat().st_size == len(content) and target.read_bytes() == content:
            return
    with replaced_on_success(target) as temporary:
        temporary.write_bytes(content)
