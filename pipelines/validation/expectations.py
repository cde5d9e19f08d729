"""Run a suite with Great Expectations 1.x on a pandas frame (ephemeral context, created once per process).

Great Expectations is imported here, lazily, the first time a suite runs: it costs seconds and hundreds of MB,
and importing `pipelines.definitions` must not pay for it.
"""

import os
from datetime import date
from functools import cache
from typing import Any

import pandas as pd

from pipelines.problems import Problem
from pipelines.schema import ISO_DATE_FORMAT, ROW_FILE, ROW_NUMBER
from pipelines.validation.results import RuleResult, problem, unique_problems
from pipelines.validation.rules import Kind, Rule, Suite

WHOLE_SUFFIX = "__as_text"
# ISO text at any precision (a publication date: 2025-07-15, 2025-07, 2025) compared with a date bound: Great
# Expectations passes text silently through a between-check, so it checks the date each text starts on.
DATE_SUFFIX = "__as_date"


def _on_iso_text(rule: Rule) -> bool:
    return rule.kind is Kind.BETWEEN and isinstance(rule.minimum if rule.maximum is None else rule.maximum, str)


@cache
def _batch_definition() -> Any:
    """The ephemeral GX context's whole-dataframe batch definition; no `gx/` folder, no analytics, no bars."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("frames").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole")


def _bound(value: object) -> object:
    return pd.Timestamp(value) if isinstance(value, date) else value


def _expectation(rule: Rule) -> Any:
    import great_expectations.expectations as gxe

    condition = {}
    if rule.only_where:
        column, allowed = rule.only_where
        condition = {"row_condition": f"{column}.isin({sorted(allowed)!r})", "condition_parser": "pandas"}
    match rule.kind:
        case Kind.COLUMNS:
            return gxe.ExpectTableColumnsToMatchSet(column_set=sorted(rule.values), exact_match=True)
        case Kind.MIN_ROWS:
            return gxe.ExpectTableRowCountToBeBetween(min_value=rule.minimum)
        case Kind.NOT_NULL:
            return gxe.ExpectColumnValuesToNotBeNull(column=rule.column, **condition)
        case Kind.UNIQUE:
            return gxe.ExpectColumnValuesToBeUnique(column=rule.column, **condition)
        case Kind.IN_SET:
            return gxe.ExpectColumnValuesToBeInSet(column=rule.column, value_set=sorted(rule.values), **condition)
        case Kind.PAIR_IN_SET:
            return gxe.ExpectColumnPairValuesToBeInSet(
                column_A=rule.column, column_B=rule.other, value_pairs_set=sorted(rule.values), **condition
            )
        case Kind.MATCHES:
            return gxe.ExpectColumnValuesToMatchRegex(column=rule.column, regex=rule.pattern, **condition)
        case Kind.NOT_MATCHES:
            return gxe.ExpectColumnValuesToNotMatchRegex(column=rule.column, regex=rule.pattern, **condition)
        case Kind.DATE_TEXT:
            return gxe.ExpectColumnValuesToMatchStrftimeFormat(
                column=rule.column, strftime_format=ISO_DATE_FORMAT, **condition
            )
        case Kind.BETWEEN if _on_iso_text(rule):
            return gxe.ExpectColumnValuesToBeBetween(
                column=rule.column + DATE_SUFFIX,
                min_value=None if rule.minimum is None else pd.Timestamp(rule.minimum),
                max_value=None if rule.maximum is None else pd.Timestamp(rule.maximum),
                **condition,
            )
        case Kind.BETWEEN:
            return gxe.ExpectColumnValuesToBeBetween(
                column=rule.column, min_value=_bound(rule.minimum), max_value=_bound(rule.maximum), **condition
            )
        case Kind.WHOLE:
            return gxe.ExpectColumnValuesToMatchRegex(
                column=rule.column + WHOLE_SUFFIX, regex=r"^-?\d+(?:\.0)?$", **condition
            )
        case Kind.NOT_AFTER:
            return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=rule.other, column_B=rule.column, or_equal=True, ignore_row_if="either_value_is_missing"
            )
    raise ValueError(f"no Great Expectations form for {rule.kind}")


def _prepared(frame: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """The frame GX sees: empty text as missing, and the text form of numbers that must be whole."""
    prepared = frame.copy()
    for rule in suite.rules:
        if _on_iso_text(rule) and rule.column in prepared:
            texts = prepared[rule.column]
            prepared[rule.column + DATE_SUFFIX] = pd.to_datetime(texts, format="ISO8601", errors="coerce")
        if rule.kind is Kind.WHOLE and rule.column in prepared:
            prepared[rule.column + WHOLE_SUFFIX] = prepared[rule.column].map(
                lambda v: None if pd.isna(v) else repr(float(v)), na_action="ignore"
            )
    return prepared


def validate_frame(frame: pd.DataFrame, suite: Suite, file: str) -> list[RuleResult]:
    """Run every rule of `suite` on `frame` (which carries `_file` and `_row` when it has rows to name)."""
    batch_definition = _batch_definition()  # first: it switches analytics off before GX is imported
    import great_expectations as gx

    prepared = _prepared(frame, suite)
    expectations = []
    for rule in suite.rules:
        expectation = _expectation(rule)
        expectation.meta = {"rule": rule.name}
        expectations.append(expectation)
    index_columns = [c for c in (ROW_FILE, ROW_NUMBER) if c in prepared.columns]
    batch = batch_definition.get_batch(batch_parameters={"dataframe": prepared})
    validation = batch.validate(
        gx.ExpectationSuite(name=suite.name, expectations=expectations),
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index_columns},
    )
    # Great Expectations reports in its own order: match each result to its rule by name.
    by_rule = {outcome.expectation_config.meta["rule"]: outcome for outcome in validation.results}
    return [_rule_result(rule, by_rule[rule.name], file) for rule in suite.rules]


def _rule_result(rule: Rule, outcome: Any, file: str) -> RuleResult:
    info = outcome.exception_info or {}
    if info.get("raised_exception"):
        return RuleResult(rule, 0, (), error=str(info.get("exception_message")))
    if outcome.success:
        return RuleResult(rule, 0, ())
    result = outcome.result
    if rule.kind is Kind.COLUMNS:
        problems = _column_problems(rule, result["details"]["mismatched"], file)
        return RuleResult(rule, len(problems), tuple(problems))
    if rule.kind is Kind.MIN_ROWS:
        found = Problem(file, None, None, f"{result['observed_value']} rows", rule.expected)
        return RuleResult(rule, 1, (found,))
    hits = [
        (hit.get(ROW_FILE, file), hit.get(ROW_NUMBER), _shown(hit, rule.column))
        for hit in result.get("unexpected_index_list") or []
    ]
    if rule.kind is Kind.UNIQUE:
        problems = unique_problems(rule, hits)
    else:
        problems = [problem(rule, hit_file, row, value) for hit_file, row, value in hits]
    return RuleResult(rule, int(result.get("unexpected_count") or len(problems)), tuple(problems))


def _shown(hit: dict, column: str) -> object:
    """The offending value as the source wrote it (a date checked from ISO text shown as its date)."""
    for name in (column, column + WHOLE_SUFFIX, column + DATE_SUFFIX):
        if name in hit:
            value = hit[name]
            return value.date().isoformat() if isinstance(value, pd.Timestamp) else value
    return None


def _column_problems(rule: Rule, mismatched: dict, file: str) -> list[Problem]:
    missing = [Problem(file, 1, name, None, "this column in the header") for name in mismatched.get("missing") or []]
    extra = [
        Problem(file, 1, name, name, f"no other column than those of {rule.expected}")
        for name in mismatched.get("unexpected") or []
        if name not in (ROW_FILE, ROW_NUMBER)
    ]
    return missing + extra
