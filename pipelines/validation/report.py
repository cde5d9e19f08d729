"""The validation report of a run: `data/curated/validation/<run id>.md`, one section per asset check, each
failed expectation linked to the table of its offending rows."""

import re
from collections.abc import Iterable

from pipelines.layout import Layout
from pipelines.markdown import markdown_table
from pipelines.validation.checks import CheckOutcome

ROWS_PER_EXPECTATION = 500


def _anchor(*parts: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", "-".join(parts).lower()).strip("-")


def _section(outcome: CheckOutcome) -> str:
    asset = outcome.asset_key.to_user_string()
    if outcome.passed:
        return f"## {asset} · {outcome.name}: passed\n\nAll {len(outcome.results)} expectations met.\n"
    verdict = "ERROR, stops the run" if outcome.blocks else f"{outcome.severity.value}, the run goes on"
    lines = [f"## {asset} · {outcome.name}: FAILED ({verdict})", "", outcome.summary(), ""]
    failed = [result for result in outcome.results if not result.passed]
    summary_rows = []
    details = []
    for result in failed:
        anchor = _anchor(asset, outcome.name, result.rule.name)
        summary_rows.append(
            [f"[{result.rule.name}](#{anchor})", result.rule.column or "(table)", result.rule.expected, result.failed]
        )
        problems = result.problems[:ROWS_PER_EXPECTATION]
        rows = [[p.file, p.row, p.column, p.value, p.expected] for p in problems]
        details += [
            f'<a id="{anchor}"></a>',
            "",
            f"### {asset} · {outcome.name} · {result.rule.name}",
            "",
            result.error or markdown_table(["file", "row", "column", "value", "expected"], rows, result.failed),
            "",
        ]
    lines += [markdown_table(["expectation", "column", "expected", "rows failing"], summary_rows), "", *details]
    return "\n".join(lines)


def write_report(layout: Layout, run_id: str, outcomes: Iterable[CheckOutcome]) -> str:
    """Append the outcomes' sections to the run's report; return the report's path relative to the root."""
    path = layout.validation_dir / f"{run_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    sections = [_section(outcome) for outcome in outcomes]
    with path.open("a", encoding="utf-8") as handle:
        if handle.tell() == 0:
            handle.write(f"# Validation report of run {run_id}\n\nOne section per asset check, in run order.\n\n")
        handle.write("\n".join(sections) + "\n")
    return layout.relative(path)
