"""From rule results to Dagster asset checks: severity policy, quarantine, check metadata and messages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import dagster as dg
import lazy_loader as lazy

from pipelines.markdown import markdown_table, problems_markdown
from pipelines.problems import BadInputError, Problem
from pipelines.schema import ROW_FILE, ROW_NUMBER
from pipelines.validation.results import RuleResult
from pipelines.validation.rules import EARLIEST_PERIOD, Suite, observation_suite

pd = lazy.load("pandas", error_on_import=True)

CURATED_KIND = "figure_sheet"
QUARANTINE_LIMIT = 0.01  # official sources: more than 1% of rows failing stops the run
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


@dataclass(frozen=True)
class CheckOutcome:
    """One asset check's verdict: the rule results behind it and how bad a failure is."""

    asset_key: dg.AssetKey
    name: str
    results: tuple[RuleResult, ...]
    severity: dg.AssetCheckSeverity = ERROR
    blocking: bool = True
    note: str = ""
    report: str | None = None  # where the run's validation report is, for the metadata

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    @property
    def blocks(self) -> bool:
        """True when this failure must stop everything downstream."""
        return not self.passed and self.blocking and self.severity == ERROR

    @property
    def problems(self) -> list[Problem]:
        return [problem for result in self.results for problem in result.problems] + [
            Problem("(validation)", None, result.rule.column, None, f"{result.rule.name} ran: {result.error}")
            for result in self.results
            if result.error
        ]

    def summary(self) -> str:
        """One line: what failed, how many rows, and what that means."""
        if self.passed:
            return f"{self.name}: all {len(self.results)} expectations met"
        failed = [r for r in self.results if not r.passed]
        consequence = "stops the run" if self.blocks else "warning, the run goes on"
        note = f" {self.note}" if self.note else ""
        return f"{self.name}: {len(failed)} of {len(self.results)} expectations failed ({consequence}).{note}"

    def failed_expectations_markdown(self) -> str:
        """A markdown table: each failed expectation with its column, what was expected and the offending rows."""
        rows = []
        for result in self.results:
            if result.passed:
                continue
            examples = "; ".join(
                f"row {p.row}: {p.value!r}" if p.row is not None else str(p.value or "") for p in result.problems[:5]
            )
            rows.append(
                [result.rule.name, result.rule.column or "(table)", result.rule.expected, result.failed,
                 result.error or examples]
            )  # fmt: skip
        return markdown_table(["expectation", "column", "expected", "rows failing", "offending rows and values"], rows)

    def check_result(self) -> dg.AssetCheckResult:
        """The Dagster asset check result, with the failed expectations and the problems as markdown."""
        metadata: dict[str, object] = {"expectations": len(self.results)}
        if not self.passed:
            metadata |= {
                "failed_expectations": dg.MetadataValue.md(self.failed_expectations_markdown()),
                "problems": dg.MetadataValue.md(problems_markdown(self.problems)),
                "rows_failing": sum(r.failed for r in self.results),
            }
        if self.report:
            metadata["report"] = dg.MetadataValue.path(self.report)
        return dg.AssetCheckResult(
            asset_key=self.asset_key,
            check_name=self.name,
            passed=self.passed,
            severity=self.severity,
            description=(self.summary() + "\n" + str(BadInputError(self.problems))) if not self.passed else None,
            metadata=metadata,
        )


def blocked_failure(outcomes: Iterable[CheckOutcome]) -> dg.Failure | None:
    """A Dagster failure naming every problem of the blocking checks that failed, or None if none did."""
    blocking = [outcome for outcome in outcomes if outcome.blocks]
    if not blocking:
        return None
    error = BadInputError([problem for outcome in blocking for problem in outcome.problems])
    names = ", ".join(f"{outcome.asset_key.to_user_string()}:{outcome.name}" for outcome in blocking)
    report = next((outcome.report for outcome in blocking if outcome.report), None)
    return dg.Failure(
        description=f"Blocking check(s) failed: {names}. {error}" + (f"\nReport: {report}" if report else ""),
        metadata={"problems": dg.MetadataValue.md(problems_markdown(error.problems))},
    )


def severity_for(source_kind: str, rows: int, failing_rows: int) -> dg.AssetCheckSeverity:
    """The quarantine policy: any bad row of a curated sheet is an error (people typed it: fix it); an official
    source's bad rows are quarantined with a warning unless more than 1% of its rows fail."""
    if source_kind == CURATED_KIND:
        return ERROR
    return ERROR if failing_rows > QUARANTINE_LIMIT * max(rows, 1) else WARN


@dataclass
class StagedValidation:
    """A staging frame after validation: the rows kept, the problems of the rows refused, and the check."""

    kept: pd.DataFrame
    outcome: CheckOutcome
    rejected: list[Problem] = field(default_factory=list)


def validate_staged(
    frame: pd.DataFrame,
    *,
    asset_key: dg.AssetKey,
    source_kind: str,
    file: str,
    today: date | None = None,
    earliest: date = EARLIEST_PERIOD,
    columns_as_in_source: Mapping[str, str] | None = None,
    locate: Callable[[Problem], Problem] | None = None,
    check_name: str = "observations_valid",
    suite: Suite | None = None,
) -> StagedValidation:
    """Run the observation suite on a staging frame and apply the quarantine policy for its source kind.

    Any staging asset calls this with its observations (the common schema, plus `_row`: the line or cell
    locator of each row in the source; `_file` when rows come from several files or tabs). Rows that fail are
    left out of `kept` and listed in `rejected`, named as in the source (`columns_as_in_source`, and `locate`
    for a source that names cells otherwise); the outcome's severity says whether the run may go on (see
    `severity_for`).
    """
    from pipelines.validation.expectations import validate_frame

    if ROW_NUMBER not in frame:
        raise ValueError(f"validate_staged needs a {ROW_NUMBER!r} column: each row's line or cell in the source")
    suite = suite or observation_suite(today or date.today(), earliest)
    results = validate_frame(frame, suite, file)
    failing_rows = {(str(p.file), str(p.row)) for result in results for p in result.problems}
    row_files = frame[ROW_FILE].astype(str) if ROW_FILE in frame else [file] * len(frame)
    rows = zip(row_files, frame[ROW_NUMBER].astype(str), strict=True)
    kept = frame[pd.Series([row not in failing_rows for row in rows], index=frame.index, dtype=bool)]
    results = [as_in_source(result, columns_as_in_source or {}, locate) for result in results]
    rejected = [problem for result in results for problem in result.problems]
    severity = severity_for(source_kind, len(frame), len(failing_rows))
    note = f"{len(failing_rows)} of {len(frame)} rows fail" + (
        "" if source_kind == CURATED_KIND else f" (quarantined; more than {QUARANTINE_LIMIT:.0%} stops the run)"
    )
    outcome = CheckOutcome(asset_key, check_name, tuple(results), severity, note=note if failing_rows else "")
    return StagedValidation(kept, outcome, rejected)


def as_in_source(
    result: RuleResult, names: Mapping[str, str], locate: Callable[[Problem], Problem] | None = None
) -> RuleResult:
    """A rule result with columns named as in the source (`names`) and each problem placed by `locate`."""

    def column(name: str | None) -> str | None:
        return names.get(name, name) if name else name

    def placed(problem: Problem) -> Problem:
        renamed = replace(problem, column=column(problem.column))
        return locate(renamed) if locate else renamed

    return replace(
        result,
        rule=replace(result.rule, column=column(result.rule.column)),
        problems=tuple(placed(problem) for problem in result.problems),
    )
