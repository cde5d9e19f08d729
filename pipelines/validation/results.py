"""What running a suite yields, backend-neutral: for each rule, how many rows failed and the problems found."""

from __future__ import annotations

from dataclasses import dataclass

import lazy_loader as lazy

from pipelines.problems import Problem
from pipelines.validation.rules import Rule

pd = lazy.load("pandas", error_on_import=True)


@dataclass(frozen=True)
class RuleResult:
    """One rule's verdict: `failed` rows in all, `problems` naming each (maybe only the first ones)."""

    rule: Rule
    failed: int
    problems: tuple[Problem, ...]
    error: str | None = None  # the rule could not be evaluated (e.g. a column is missing)

    @property
    def passed(self) -> bool:
        return self.failed == 0 and self.error is None


def problem(rule: Rule, file: object, row: object, value: object, expected: str | None = None) -> Problem:
    """A problem for one offending cell, in the analyst's terms."""
    return Problem(
        file=str(file),
        row=_row_number(row),
        column=rule.column,
        value=None if _missing(value) else _text(value),
        expected=expected or rule.expected,
    )


def unique_problems(rule: Rule, hits: list[tuple[object, object, object]]) -> list[Problem]:
    """Duplicated keys: each row names the other rows that use the same value."""
    rows_by_value: dict[object, list[tuple[object, object]]] = {}
    for file, row, value in hits:
        rows_by_value.setdefault(value, []).append((file, row))
    problems = []
    for value, places in rows_by_value.items():
        for file, row in places:
            others = ", ".join(_place(f, r, file) for f, r in places if (f, r) != (file, row))
            problems.append(problem(rule, file, row, value, f"{rule.expected}; also used on {others}"))
    return problems


def _place(file: object, row: object, shown_file: object) -> str:
    return f"row {row}" if file == shown_file else f"{file} row {row}"


def _row_number(row: object) -> int | str | None:
    if row is None:
        return None
    text = str(row)
    return int(text) if text.isdigit() else text


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str | tuple | list) and bool(pd.isna(value)))


def _text(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
