"""Run a suite with Great Expectations 1.x on a pandas frame (ephemeral context, created once per process).

Great Expectations is imported here, lazily, the first time a suite runs: it costs seconds and hundreds of MB,
and importing `pipelines.definitions` must not pay for it. A command-line run imports it beside its own start-up
instead (`validating_beside`).
"""

import contextlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date
from functools import cache
from multiprocessing.connection import Connection
from typing import Any

import pandas as pd

from pipelines.problems import Problem
from pipelines.processes import forking
from pipelines.schema import ISO_DATE_FORMAT, ROW_FILE, ROW_NUMBER
from pipelines.validation.results import RuleResult, problem, unique_problems
from pipelines.validation.rules import Kind, Rule, Suite

WHOLE_SUFFIX = "__as_text"
# ISO text at any precision (a publication date: 2025-07-15, 2025-07, 2025) compared with a date bound: Great
# Expectations passes text silently through a between-check, so it checks the date each text starts on.
DATE_SUFFIX = "__as_date"
# A pair of cells checked as one text (GX's own pair expectation re-serialises a large pair set per metric).
PAIR_SUFFIX, PAIR_SEPARATOR = "__with__", "\x1f"
# A rule that applies only where another column is in a set checks its column masked to those rows: cheaper than
# GX's row condition (a pandas query per metric), and the same result for kinds that pass over missing cells.
WHERE_SUFFIX = "__where__"
SKIP_MISSING = frozenset({Kind.IN_SET, Kind.PAIR_IN_SET, Kind.MATCHES, Kind.NOT_MATCHES, Kind.BETWEEN, Kind.WHOLE})


def _on_iso_text(rule: Rule) -> bool:
    return rule.kind is Kind.BETWEEN and isinstance(rule.minimum if rule.maximum is None else rule.maximum, str)


def _masked(rule: Rule) -> bool:
    return rule.only_where is not None and rule.kind in SKIP_MISSING


def _checked_column(rule: Rule) -> str | None:
    """The column of the prepared frame the rule's expectation checks (None for a rule on the whole table)."""
    column = rule.column
    if column is None:
        return None
    if rule.kind is Kind.PAIR_IN_SET:
        column += PAIR_SUFFIX + rule.other
    elif _on_iso_text(rule):
        column += DATE_SUFFIX
    elif rule.kind is Kind.WHOLE:
        column += WHOLE_SUFFIX
    return column + WHERE_SUFFIX + rule.name if _masked(rule) else column


def _defer_loading(name: str) -> None:
    """Let module `name` load on its first use instead of when it is imported (`importlib.util.LazyLoader`); also
    bound on its package, so that `from package import module` does not load it either. Nothing if loaded."""
    if name in sys.modules:
        return
    package, _, module_name = name.rpartition(".")
    parent = importlib.import_module(package)
    spec = importlib.util.find_spec(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    setattr(parent, module_name, module)


@cache
def _batch_definition() -> Any:
    """The ephemeral GX context's whole-dataframe batch definition; no `gx/` folder, no analytics, no bars.

    GX imports SciPy's statistics for its distribution expectations, which no rule here uses: deferred until
    first used, they cost nothing (a third of GX's import, about 1.5 CPU-s in every process that validates).
    Each expectation then builds its configuration once per validation (`_build_each_configuration_once`)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    _defer_loading("scipy.stats")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    _build_each_configuration_once()
    asset = context.data_sources.add_pandas("frames").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole")


# While a suite is validated: each expectation (by id, kept alive) with the configuration it built first.
_BUILT_CONFIGURATIONS: ContextVar[dict[int, tuple[Any, Any]] | None] = ContextVar("built_configurations", default=None)


def _build_each_configuration_once() -> None:
    """Make each expectation build its configuration once while `_configurations_remembered` is in force.

    Great Expectations 1.x rebuilds an expectation's configuration (a pydantic copy of all its arguments, a
    value set of hundreds of codes included) on each of the ~40 reads one validation makes: half the time of
    validating a sheet. Expectations are not changed while they are validated, so the first copy serves every
    read. Outside that block (and in other threads) the configuration is rebuilt on each read, as before."""
    from great_expectations.expectations.expectation import Expectation

    rebuilt = Expectation.configuration

    def configuration(expectation: Any) -> Any:
        built = _BUILT_CONFIGURATIONS.get()
        if built is None:
            return rebuilt.fget(expectation)
        if id(expectation) not in built:  # kept with its configuration, so no other object can take its id
            built[id(expectation)] = (expectation, rebuilt.fget(expectation))
        return built[id(expectation)][1]

    Expectation.configuration = property(configuration, doc=rebuilt.__doc__)


@contextlib.contextmanager
def _configurations_remembered() -> Iterator[None]:
    """For the block, each expectation's configuration is built on its first read and reused after."""
    token = _BUILT_CONFIGURATIONS.set({})
    try:
        yield
    finally:
        _BUILT_CONFIGURATIONS.reset(token)


def _bound(value: object) -> object:
    return pd.Timestamp(value) if isinstance(value, date) else value


def _expectation(rule: Rule) -> Any:
    import great_expectations.expectations as gxe

    condition, column = {}, _checked_column(rule)
    if rule.only_where and not _masked(rule):
        condition_column, allowed = rule.only_where
        condition = {"row_condition": f"{condition_column}.isin({sorted(allowed)!r})", "condition_parser": "pandas"}
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
            return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=sorted(rule.values), **condition)
        case Kind.PAIR_IN_SET:
            pairs = sorted(PAIR_SEPARATOR.join(pair) for pair in rule.values)
            return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=pairs, **condition)
        case Kind.MATCHES:
            return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=rule.pattern, **condition)
        case Kind.NOT_MATCHES:
            return gxe.ExpectColumnValuesToNotMatchRegex(column=column, regex=rule.pattern, **condition)
        case Kind.DATE_TEXT:
            return gxe.ExpectColumnValuesToMatchStrftimeFormat(
                column=rule.column, strftime_format=ISO_DATE_FORMAT, **condition
            )
        case Kind.BETWEEN if _on_iso_text(rule):
            return gxe.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=None if rule.minimum is None else pd.Timestamp(rule.minimum),
                max_value=None if rule.maximum is None else pd.Timestamp(rule.maximum),
                **condition,
            )
        case Kind.BETWEEN:
            return gxe.ExpectColumnValuesToBeBetween(
                column=column, min_value=_bound(rule.minimum), max_value=_bound(rule.maximum), **condition
            )
        case Kind.WHOLE:
            return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=r"^-?\d+(?:\.0)?$", **condition)
        case Kind.NOT_AFTER:
            return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=rule.other, column_B=rule.column, or_equal=True, ignore_row_if="either_value_is_missing"
            )
    raise ValueError(f"no Great Expectations form for {rule.kind}")


def _prepared(frame: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """The frame GX sees: the columns as sourced, plus each rule's checked column where that differs (the dates
    ISO text starts on, the text form of numbers that must be whole, pairs as one text, rows masked by a rule's
    `only_where`)."""
    prepared = frame.copy()
    for rule in suite.rules:
        name = _checked_column(rule)
        used = {rule.column, rule.other, rule.only_where[0] if rule.only_where else None} - {None}
        if name is None or name in prepared or not used <= set(prepared.columns):
            continue
        cells = prepared[rule.column]
        if rule.kind is Kind.PAIR_IN_SET:
            both = prepared[rule.other]
            joined = cells.fillna("").astype(str) + PAIR_SEPARATOR + both.fillna("").astype(str)
            cells = joined.where(cells.notna() | both.notna())
        elif _on_iso_text(rule):
            cells = pd.to_datetime(cells, format="ISO8601", errors="coerce")
        elif rule.kind is Kind.WHOLE:
            cells = cells.map(lambda v: None if pd.isna(v) else repr(float(v)), na_action="ignore")
        if _masked(rule):
            condition_column, allowed = rule.only_where
            cells = cells.where(prepared[condition_column].isin(allowed))
        prepared[name] = cells
    return prepared


_BESIDE: tuple[int, Connection] | None = None  # (the process that may use it, its end of the pipe)


@contextlib.contextmanager
def validating_beside() -> Iterator[None]:
    """For the block, run the suites in a forked process that imports Great Expectations at once.

    Importing it takes seconds of one core; a command-line run spends them loading Dagster and planning on the
    other. Where processes cannot be forked, suites run here as usual; if the process dies, they run here too."""
    global _BESIDE
    if _BESIDE is not None:
        yield
        return
    with forking() as context:
        if context is not None:
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, ours), name="validation", daemon=True)
            process.start()
            theirs.close()
    if context is None:
        yield
        return
    _BESIDE = (os.getpid(), ours)
    try:
        yield
    finally:
        _BESIDE = None
        ours.close()
        process.kill()  # not SIGTERM: a run started with SIGTERM ignored passes that on to this process
        process.join()


def _serve(connection: Connection, parents_end: Connection) -> None:
    parents_end.close()  # so that the parent's death, even by SIGKILL, ends `recv` here with EOFError
    _batch_definition()
    while True:
        try:
            frame, suite, file = connection.recv()
        except EOFError:
            return
        try:
            connection.send((True, _validate_here(frame, suite, file)))
        except Exception:
            connection.send((False, traceback.format_exc()))


def validate_frame(frame: pd.DataFrame, suite: Suite, file: str) -> list[RuleResult]:
    """Run every rule of `suite` on `frame` (which carries `_file` and `_row` when it has rows to name)."""
    if _BESIDE is not None and _BESIDE[0] == os.getpid():
        connection = _BESIDE[1]
        try:
            connection.send((frame, suite, file))
            done, value = connection.recv()
        except (EOFError, OSError):
            return _validate_here(frame, suite, file)
        if not done:
            raise RuntimeError(f"Great Expectations failed on {file}:\n{value}")
        return value
    return _validate_here(frame, suite, file)


def _validate_here(frame: pd.DataFrame, suite: Suite, file: str) -> list[RuleResult]:
    """Ask Great Expectations about every rule with a cell to check; a rule of a kind that passes over missing
    cells, on a column with none present (a currency no row is stated in), passes without asking it."""
    prepared = _prepared(frame, suite)
    asked = _validated_by_gx(
        prepared, suite.name, tuple(r for r in suite.rules if not _nothing_to_check(r, prepared)), file
    )
    return [asked[rule.name] if rule.name in asked else RuleResult(rule, 0, ()) for rule in suite.rules]


def _nothing_to_check(rule: Rule, prepared: pd.DataFrame) -> bool:
    column = _checked_column(rule)
    return rule.kind in SKIP_MISSING and column in prepared and not prepared[column].notna().any()


def _validated_by_gx(prepared: pd.DataFrame, name: str, rules: tuple[Rule, ...], file: str) -> dict[str, RuleResult]:
    """Validate the rules for pass or fail first, then the failed ones again for the rows and values that broke
    them: Great Expectations' complete results cost twice the time, and most runs pass every rule."""
    if not rules:
        return {}
    batch_definition = _batch_definition()  # first: it switches analytics off before GX is imported
    import great_expectations as gx

    index_columns = [c for c in (ROW_FILE, ROW_NUMBER) if c in prepared.columns]
    batch = batch_definition.get_batch(batch_parameters={"dataframe": prepared})

    def validate(rules: tuple[Rule, ...], result_format: dict) -> dict[str, Any]:
        expectations = []
        for rule in rules:
            expectation = _expectation(rule)
            expectation.meta = {"rule": rule.name}
            expectations.append(expectation)
        with _configurations_remembered():
            validation = batch.validate(
                gx.ExpectationSuite(name=name, expectations=expectations), result_format=result_format
            )
        # Great Expectations reports in its own order: match each result to its rule by name.
        return {outcome.expectation_config.meta["rule"]: outcome for outcome in validation.results}

    by_rule = validate(rules, {"result_format": "BOOLEAN_ONLY"})
    failed = tuple(rule for rule in rules if not by_rule[rule.name].success)
    if failed:
        complete = {"result_format": "COMPLETE", "unexpected_index_column_names": index_columns}
        by_rule |= validate(failed, complete)
    return {rule.name: _rule_result(rule, by_rule[rule.name], file) for rule in rules}


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
        (hit.get(ROW_FILE, file), hit.get(ROW_NUMBER), _shown(hit, rule))
        for hit in result.get("unexpected_index_list") or []
    ]
    if rule.kind is Kind.UNIQUE:
        problems = unique_problems(rule, hits)
    else:
        problems = [problem(rule, hit_file, row, value) for hit_file, row, value in hits]
    return RuleResult(rule, int(result.get("unexpected_count") or len(problems)), tuple(problems))


def _shown(hit: dict, rule: Rule) -> object:
    """The offending value as the source wrote it (a date checked from ISO text shown as its date, a pair as the
    rule's own column)."""
    value = hit.get(_checked_column(rule), hit.get(rule.column))
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if rule.kind is Kind.PAIR_IN_SET and isinstance(value, str):
        return value.split(PAIR_SEPARATOR)[0] or None
    return value


def _column_problems(rule: Rule, mismatched: dict, file: str) -> list[Problem]:
    missing = [Problem(file, 1, name, None, "this column in the header") for name in mismatched.get("missing") or []]
    extra = [
        Problem(file, 1, name, name, f"no other column than those of {rule.expected}")
        for name in mismatched.get("unexpected") or []
        if name not in (ROW_FILE, ROW_NUMBER)
    ]
    return missing + extra
