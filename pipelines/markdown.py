"""Markdown tables for what the UI, the validation report and the logs show (plain text, no Dagster)."""

from pipelines.problems import Problem

PROBLEM_ROWS_SHOWN = 50


def markdown_table(columns: list[str], rows: list[list[object]], total: int | None = None) -> str:
    """A markdown table; `total` adds a line saying how many rows were left out."""

    def cell(value: object) -> str:
        return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")[:200]

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    if total is not None and total > len(rows):
        lines.append(f"\n… and {total - len(rows)} more")
    return "\n".join(lines)


def problems_markdown(problems: list[Problem]) -> str:
    """Problems as a markdown table: file, row, column, value, expected."""
    rows = [[p.file, p.row, p.column, p.value, p.expected] for p in problems[:PROBLEM_ROWS_SHOWN]]
    return markdown_table(["file", "row", "column", "value", "expected"], rows, len(problems))
