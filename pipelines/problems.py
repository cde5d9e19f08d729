"""How the pipeline reports bad input: file, row, column, value and what was expected."""

import re
from dataclasses import dataclass

SHOWN_IN_MESSAGE = 20
CELL_ADDRESS = re.compile(r"[A-Z]{1,3}[1-9][0-9]*")  # a spreadsheet cell, e.g. H12


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell, row or file.

    `row` is the line number an analyst sees in a spreadsheet (the header is row 1), a cell address (`H12`,
    shown as `cell H12 (column)`), or another locator for a source that is not a sheet; None for a whole file.
    """

    file: str
    row: int | str | None
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = self.file
        if isinstance(self.row, str) and CELL_ADDRESS.fullmatch(self.row):
            where += f", cell {self.row}" + (f" ({self.column})" if self.column is not None else "")
        else:
            if self.row is not None:
                where += f", row {self.row}"
            if self.column is not None:
                where += f", column '{self.column}'"
        got = "" if self.value is None else f"got {self.value[:80]!r}, "
        return f"{where}: {got}expected {self.expected}"


class BadInputError(Exception):
    """Input that the pipeline refuses, with every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [str(problem) for problem in problems[:SHOWN_IN_MESSAGE]]
        if len(problems) > SHOWN_IN_MESSAGE:
            lines.append(f"... and {len(problems) - SHOWN_IN_MESSAGE} more problems")
        super().__init__(f"{len(problems)} problem(s) in the input:\n" + "\n".join(lines))
