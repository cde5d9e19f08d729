"""The validation bridge itself: rules run the same in Great Expectations and DuckDB, the quarantine policy,
the sheet reader on any bytes, the checks as Dagster sees them, the run report and the rejected rows."""

import contextlib
import csv
import os
import pickle
import re
import subprocess
import sys
import time
from datetime import date

import dagster as dg
import duckdb
import pandas as pd
import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO, failure_text, materialise
from pipelines import sheets
from pipelines.automation import DOWNSTREAM_CONDITION
from pipelines.definitions import build_definitions
from pipelines.layout import Layout
from pipelines.problems import BadInputError, Problem
from pipelines.validation import expectations
from pipelines.validation.checks import ERROR, WARN, severity_for, validate_staged
from pipelines.validation.expectations import (
    SKIP_MISSING,
    _configurations_remembered,
    _expectation,
    _prepared,
    _validated_by_gx,
    validate_frame,
)
from pipelines.validation.rejected import record_rejected
from pipelines.validation.rules import Kind, Rule, Suite, observation_suite
from pipelines.validation.sql import validate_table
from pipelines.validation.staging import conclude_checks, observations_check_spec
from pipelines.validation.warehouse_checks import warehouse_checks
from pipelines.versions import observed_versions

TODAY = date(2026, 11, 27)
SHEET = REPO / "data/raw/figures/enforcement_figures.csv"


def observations(count: int = 200) -> pd.DataFrame:
    """`count` valid observations, typed as a staging asset hands them over, rows numbered from 2."""
    cells = sheets.read_sheet(SHEET, "sheet.csv")
    frame = sheets.to_observations(pd.concat([cells] * (count // len(cells) + 1)).head(count), "official")
    frame["figure_id"] = [f"F{i}" for i in range(count)]
    frame["_row"] = [str(i + 2) for i in range(count)]
    return frame.reset_index(drop=True)


def spoil(frame: pd.DataFrame) -> pd.DataFrame:
    """Break one rule on each of six rows."""
    frame = frame.copy()
    frame.loc[0, "value"] = -5.0
    frame.loc[1, "value"] = 12.5
    frame.loc[2, "jurisdiction"] = "XKZ"
    frame.loc[3, "period_start"] = pd.Timestamp("2030-01-01")
    frame.loc[4, "source_url"] = "javascript:alert(1)"
    frame.loc[5, "figure_id"] = "F6"
    return frame


def failing_rows(results) -> dict[str, set[str]]:
    return {r.rule.name: {str(p.row) for p in r.problems} for r in results if not r.passed}


def test_great_expectations_and_duckdb_agree_on_every_rule():
    frame = spoil(observations())
    suite = observation_suite(TODAY)
    gx_results = validate_frame(frame, suite, "sheet.csv")
    assert not [result.rule.name for result in gx_results if result.error]
    in_gx = failing_rows(gx_results)
    with duckdb.connect() as con:
        con.register("frame", frame)
        con.execute("CREATE TABLE t AS SELECT * FROM frame")
        in_sql = failing_rows(validate_table(con, "t", suite))
    assert in_gx == in_sql
    assert in_gx == {
        "value_non_negative": {"2"},
        "count_is_whole": {"3"},
        "jurisdiction_known": {"4"},
        "period_start_plausible": {"5"},
        "period_in_order": {"5"},
        "source_url_web": {"6"},
        "figure_id_unique": {"7", "8"},
    }


def test_each_expectation_builds_its_configuration_once_while_validated_and_the_results_are_the_same(monkeypatch):
    """Great Expectations reads an expectation's configuration ~40 times a validation and rebuilds it on each
    read; while a suite is validated the first one built is reused, and the results do not change."""
    frame = spoil(observations())
    suite = observation_suite(TODAY)
    remembered = validate_frame(frame, suite, "sheet.csv")
    jurisdictions = next(rule for rule in suite.rules if rule.name == "jurisdiction_known")
    expectation = _expectation(jurisdictions)
    assert expectation.configuration is not expectation.configuration
    with _configurations_remembered():
        assert expectation.configuration is expectation.configuration
        assert expectation.configuration.kwargs["value_set"] == sorted(jurisdictions.values)
    assert expectation.configuration is not expectation.configuration
    monkeypatch.setattr(expectations, "_configurations_remembered", contextlib.nullcontext)
    assert validate_frame(frame, suite, "sheet.csv") == remembered
    assert failing_rows(remembered)["jurisdiction_known"] == {"4"}


NOTHING_TO_CHECK = (
    Rule("in_set", Kind.IN_SET, "cell", "a", values=frozenset({"a"})),
    Rule("pair", Kind.PAIR_IN_SET, "cell", "a with b", other="other", values=frozenset({("a", "b")})),
    Rule("matches", Kind.MATCHES, "cell", "a", pattern="^a$"),
    Rule("not_matches", Kind.NOT_MATCHES, "cell", "not a", pattern="^a$"),
    Rule("between", Kind.BETWEEN, "cell", "0 or more", minimum=0),
    Rule("between_dates", Kind.BETWEEN, "cell", "by 2020", maximum=date(2020, 1, 1)),
    Rule("between_iso_text", Kind.BETWEEN, "cell", "by 2020", maximum="2020-01-01"),
    Rule("whole", Kind.WHOLE, "cell", "a whole number"),
    Rule("only_for_dem", Kind.BETWEEN, "number", "by 2001", maximum=0, only_where=("unit", frozenset({"DEM"}))),
)


@pytest.mark.parametrize(
    "missing", [None, float("nan"), pd.NaT, pd.NA, "no rows"], ids=["None", "nan", "NaT", "NA", "no-rows"]
)
def test_rules_with_no_cell_to_check_pass_as_great_expectations_says_they_do(missing):
    """A rule of a kind that passes over missing cells, on a column with no cell present (or only on rows that
    are absent), passes without asking Great Expectations: asked, it says the same."""
    assert {rule.kind for rule in NOTHING_TO_CHECK} == SKIP_MISSING
    rows = 0 if isinstance(missing, str) else 3
    frame = pd.DataFrame(
        {"cell": [missing] * rows, "other": [missing] * rows, "number": [5] * rows, "unit": ["EUR"] * rows}
    )
    frame["_row"] = [str(i + 2) for i in range(rows)]
    suite = Suite("nothing_to_check", NOTHING_TO_CHECK)
    asked = _validated_by_gx(_prepared(frame, suite), suite.name, suite.rules, "sheet.csv")
    assert validate_frame(frame, suite, "sheet.csv") == [asked[rule.name] for rule in suite.rules]
    assert all(result.passed for result in asked.values())


def test_pair_rules_and_rules_for_some_rows_find_the_rows_duckdb_finds_and_show_the_cell():
    """Pairs are checked as one text and a rule for some rows on a masked column: the same rows fail as in
    DuckDB, each shown with the cell the analyst wrote, and rows outside a rule's scope are left alone."""
    frame = observations()
    frame.loc[0, ["unit", "period_end"]] = ["ESP", pd.Timestamp("2011-12-31")]  # a count in withdrawn pesetas
    frame.loc[1, "measure"] = "jailed"
    frame.loc[2, ["measure", "target_group", "unit", "value"]] = ["fine_amount", "employers", "EUR", 12.5]
    frame.loc[3, ["measure", "target_group", "unit"]] = ["fine_amount", "employers", "ESP"]
    frame.loc[3, ["period_start", "period_end"]] = [pd.Timestamp("2001-01-01"), pd.Timestamp("2001-12-31")]
    suite = observation_suite(TODAY)
    results = validate_frame(frame, suite, "sheet.csv")
    assert not [result.rule.name for result in results if result.error]
    with duckdb.connect() as con:
        con.register("frame", frame)
        con.execute("CREATE TABLE t AS SELECT * FROM frame")
        assert failing_rows(results) == failing_rows(validate_table(con, "t", suite))
    assert failing_rows(results) == {
        "unit_fits_measure": {"2", "3"},
        "measure_known": {"3"},
        "ESP_before_withdrawal": {"2"},
    }
    shown = {(r.rule.name, str(p.row)): p.value for r in results for p in r.problems}
    assert shown == {
        ("unit_fits_measure", "2"): "ESP",
        ("unit_fits_measure", "3"): frame.loc[1, "unit"],
        ("measure_known", "3"): "jailed",
        ("ESP_before_withdrawal", "2"): "2011-12-31",
    }


BESIDE = """
import multiprocessing, pickle, sys
from test_validation import TODAY, observations, spoil
from pipelines.validation.expectations import validate_frame, validating_beside
from pipelines.validation.rules import observation_suite
frame, suite = spoil(observations()), observation_suite(TODAY)
with validating_beside():
    beside = validate_frame(frame, suite, "sheet.csv")
    imported_here = "great_expectations" in sys.modules
    for child in multiprocessing.active_children():
        child.kill()
        child.join()
    after_a_crash = validate_frame(frame, suite, "sheet.csv")
here = validate_frame(frame, suite, "sheet.csv")
statistics_loaded = "scipy.stats._stats_py" in sys.modules
from scipy import stats
entropy = round(float(stats.entropy([0.5, 0.5], [0.9, 0.1])), 4)
sys.stdout.buffer.write(pickle.dumps((imported_here, beside, after_a_crash, here, statistics_loaded, entropy)))
"""


def test_suites_run_beside_give_the_same_results_and_survive_the_process_dying():
    """A command-line run validates in a forked process that imported Great Expectations while it started up;
    its results are those of a validation here, and if that process dies the suites run here. SciPy's
    statistics, which GX imports for rules this project has none of, load only when first used."""
    path = os.pathsep.join([str(REPO), str(REPO / "tests")])
    done = subprocess.run(
        [sys.executable, "-c", BESIDE], cwd=REPO, capture_output=True, env={**os.environ, "PYTHONPATH": path}
    )
    assert done.returncode == 0, done.stderr.decode()
    imported_here, beside, after_a_crash, here, statistics_loaded, entropy = pickle.loads(done.stdout)
    assert not imported_here, "Great Expectations was imported by the run's own process"
    assert beside == here and after_a_crash == here
    assert failing_rows(here)["value_non_negative"] == {"2"}
    assert not statistics_loaded and entropy == 0.5108


KILLED_MID_RUN = """
import multiprocessing, os, signal
from pipelines.validation.expectations import validating_beside
with validating_beside():
    print(*(child.pid for child in multiprocessing.active_children()), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_validation_process_ends_when_its_run_is_killed(tmp_path):
    """A run killed with SIGKILL cannot stop its validation process: that process sees its pipe close and ends,
    instead of living on and holding the run's output open (a file here, not a pipe, so the test cannot hang)."""
    output = tmp_path / "out.txt"
    with output.open("w") as handle:
        done = subprocess.run([sys.executable, "-c", KILLED_MID_RUN], cwd=REPO, stdout=handle, timeout=120)
    assert done.returncode == -9
    (pid,) = map(int, output.read_text().split())
    deadline = time.monotonic() + 30
    while not _ended(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _ended(pid), f"the validation process {pid} outlived its run"


def _ended(pid: int) -> bool:
    """Gone, or a zombie (an orphan waits for whichever process adopted it to reap it)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_run_started_with_sigterm_ignored_still_ends_its_validation_process():
    """CI may start the tests, and so every run, with SIGTERM ignored; the run must still end (it waited
    forever for its validation process, which ignored SIGTERM too)."""
    script = (
        "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "from pipelines.validation.expectations import validating_beside\n"
        "with validating_beside():\n    pass\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 0


def test_official_sources_quarantine_a_few_bad_rows_with_a_warning():
    frame = observations(400)
    frame.loc[7, "value"] = -1.0
    checked = validate_staged(frame, asset_key=dg.AssetKey(["staging", "x"]), source_kind="eurostat", file="x.json")
    assert checked.outcome.severity == WARN and not checked.outcome.passed and not checked.outcome.blocks
    assert len(checked.kept) == 399 and "9" not in set(checked.kept["_row"])
    assert [(p.row, p.column, p.value) for p in checked.rejected] == [(9, "value", "-1")]
    assert "1 of 400 rows fail (quarantined" in checked.outcome.summary()


def test_official_sources_stop_when_more_than_one_percent_fail():
    frame = spoil(observations(400))
    checked = validate_staged(frame, asset_key=dg.AssetKey(["staging", "x"]), source_kind="eurostat", file="x.json")
    assert checked.outcome.severity == ERROR and checked.outcome.blocks
    assert severity_for("eurostat", 100, 1) == WARN
    assert severity_for("eurostat", 100, 2) == ERROR
    assert severity_for("figure_sheet", 1000, 1) == ERROR


def test_check_metadata_lists_failed_expectations_with_rows_and_values():
    frame = spoil(observations())
    checked = validate_staged(frame, asset_key=dg.AssetKey(["staging", "x"]), source_kind="figure_sheet", file="s.csv")
    result = checked.outcome.check_result()
    table = result.metadata["failed_expectations"].value
    assert "| value_non_negative | value | a number of zero or more | 1 | row 2: '-5' |" in table
    assert "| source_url_web | source_url |" in table and "row 6: 'javascript:alert(1)'" in table
    assert (
        "sheet.csv, row 3, column 'value': got '12.5', expected a whole number for a count unit" in result.description
    )
    assert result.severity == ERROR and not result.passed


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)))
def test_any_bytes_give_rows_or_a_clear_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("any") / "sheet.csv"
    path.write_bytes(content)
    try:
        cells = sheets.read_sheet(path, "sheet.csv")
    except BadInputError as error:
        assert error.problems and all(p.file == "sheet.csv" and p.expected for p in error.problems)
        assert str(error).startswith(f"{len(error.problems)} problem(s) in the input:")
        return
    assert list(cells.columns[-2:]) == ["_file", "_row"]
    if set(sheets.SHEET_COLUMNS) <= set(cells.columns):
        assert len(sheets.to_observations(cells, "any")) == len(cells)


@given(
    row=st.lists(
        st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12),
        min_size=17,
        max_size=17,
    )
)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_row_under_the_reference_header_is_typed_without_exception(tmp_path_factory, row):
    path = tmp_path_factory.mktemp("row") / "sheet.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([sheets.SHEET_COLUMNS, row])
    try:
        cells = sheets.read_sheet(path, "sheet.csv")
    except BadInputError as error:
        assert all(p.file == "sheet.csv" for p in error.problems)
        return
    typed = sheets.to_observations(cells, "any")
    assert len(typed) == len(cells) <= 1


def test_checks_hang_on_raw_staging_and_warehouse_assets(built):
    graph = build_definitions(built).resolve_asset_graph()
    checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    source = "figures_enforcement_figures"
    assert {
        (f"raw/{source}", "structure"),
        (f"raw/{source}", "origin"),
        (f"staging/{source}", "cells_readable"),
        (f"staging/{source}", "observations_valid"),
        ("observations", "observations_valid"),
        ("observations", "consistent_values"),
        ("comparisons", "like_with_like"),
        ("observations", "shrink_consented"),
        ("raw/eurostat_migr_eipre", "snapshot_intact"),
    } <= checks
    for key in ("observations", "comparisons", "sources", "rejected_rows"):
        condition = graph.get(dg.AssetKey(key)).automation_condition
        assert "all_deps_blocking_checks_passed" in repr(condition), key


def test_the_shipped_run_evaluates_every_check_with_metadata(built_run):
    layout = built_run.layout
    evaluations = {
        (e.event_specific_data.asset_key.to_user_string(), e.event_specific_data.check_name): e.event_specific_data
        for e in built_run.events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    datasets = {key for key, _ in evaluations if key.startswith("staging/eurostat_")}
    # and each Eurostat dataset's observations_valid and snapshot_intact, and the warehouse's shrink_consented
    assert len(evaluations) == 8 + 2 * len(datasets) and datasets
    blocking = [v for k, v in evaluations.items() if k[1] in ("structure", "cells_readable", "observations_valid")]
    assert all(evaluation.passed for evaluation in blocking)
    conflicts = evaluations[("observations", "consistent_values")]
    assert conflicts.severity == dg.AssetCheckSeverity.WARN
    if not conflicts.passed:  # the shipped sheet holds disagreeing official statements, listed with both sources
        assert re.search(r"\.csv row \d+", conflicts.metadata["problems"].value)  # names the other source's row
    report = layout.root / evaluations[("observations", "observations_valid")].metadata["report"].value
    assert report.read_text(encoding="utf-8").startswith(f"# Validation report of run {built_run.run_id}")
    assert not (layout.root / "gx").exists() and not (REPO / "gx").exists()


def test_report_links_each_failed_expectation_to_its_rows(built_copy):
    sheet = built_copy.root / "data/raw/figures/enforcement_figures.csv"
    appended_row = len(sheet.read_text(encoding="utf-8").splitlines()) + 1
    with sheet.open("a", encoding="utf-8") as handle:
        handle.write("TST-1,KAZ,,2020-01-01,2020-12-31,migrants,arrested,-5,persons,,,P,news,T,https://e.org,,q,en,\n")
    result = materialise(built_copy, reread_datasets=False)
    assert not result.success
    report = (built_copy.validation_dir / f"{result.run_id}.md").read_text(encoding="utf-8")
    link = re.search(r"\[value_digits\]\(#([^)]+)\)", report)
    assert link, report
    assert f'<a id="{link.group(1)}"></a>' in report
    rows_table = report.split(f'<a id="{link.group(1)}"></a>', 1)[1]
    assert f"| data/raw/figures/enforcement_figures.csv | {appended_row} | value | -5 |" in rows_table
    assert f"Report: data/curated/validation/{result.run_id}.md" in failure_text(result)


def test_quarantined_rows_reach_the_warehouse_table(built_copy):
    problems = [Problem("data/raw/eurostat/x.json", "geo=DE time=2019", "value", "-3", "a number of zero or more")]
    record_rejected(built_copy, "eurostat_x", problems, "run-0")
    # A source may write just the contract's columns: the run id and the source id (its file name) are added.
    (built_copy.rejected_dir / "eurostat_y.csv").write_text(
        "file,row,column,value,reason\ndata/raw/eurostat/y.json,geo=FR time=2020,geo,'=1,unknown geo\n",
        encoding="utf-8",
    )
    result = materialise(built_copy, changed_since=observed_versions(built_copy))  # no source's files changed
    assert result.success, failure_text(result)
    with duckdb.connect(str(built_copy.warehouse_path), read_only=True) as con:
        rows = con.execute(
            'SELECT file, "row", "column", value, reason, run_id, source_id FROM rejected_rows'
        ).fetchall()
    assert rows == [
        ("data/raw/eurostat/x.json", "geo=DE time=2019", "value", "-3", "expected a number of zero or more", "run-0",
         "eurostat_x"),
        ("data/raw/eurostat/y.json", "geo=FR time=2020", "geo", "=1", "unknown geo", result.run_id, "eurostat_y"),
    ]  # fmt: skip


def test_a_subnational_figure_compared_with_a_national_one_is_flagged():
    with duckdb.connect() as con:
        con.execute("CREATE TABLE sources (source_id VARCHAR, raw_path VARCHAR)")
        con.execute("INSERT INTO sources VALUES ('s', 'sheet.csv')")
        frame = observations(2)
        frame.loc[1, "subdivision"] = "Astana (city)"
        con.register("frame", frame.drop(columns=["_file", "_row"]))
        con.execute("CREATE TABLE observations AS SELECT * REPLACE ('s' AS source_id) FROM frame")
        con.execute("CREATE TABLE comparisons AS SELECT ['F0', 'F1'] AS figure_ids")
        con.execute(
            "CREATE TABLE conflicts (jurisdiction VARCHAR, subdivision VARCHAR, period_start DATE, period_end DATE, "
            "measure VARCHAR, unit VARCHAR, breakdown VARCHAR, preferred_figure_id VARCHAR, other_figure_id VARCHAR, "
            "resolved_by VARCHAR)"
        )
        outcomes = {outcome.name: outcome for outcome in warehouse_checks(con, TODAY)}
    mixed = outcomes["like_with_like"]
    assert not mixed.passed and not mixed.blocks and mixed.severity == WARN
    assert [str(p) for p in mixed.problems] == [
        "sheet.csv, row 2, column 'subnational_area': got 'national', expected a comparison of figures for the same "
        "area (both national or both the same subdivision); compared with sheet.csv row 3 (Astana (city))"
    ]


@pytest.mark.parametrize("column", ["value", "period_end"])
def test_sql_reports_only_the_first_problems_but_counts_all(column):
    frame = observations(50)
    frame[column] = None
    with duckdb.connect() as con:
        con.register("frame", frame)
        results = {r.rule.name: r for r in validate_table(con, "frame", observation_suite(TODAY))}
    assert results[f"{column}_present"].failed == 50


def test_validation_benchmark_runs_at_a_tiny_size(capsys):
    """Smoke test of bench/validation.py (figures are printed, not asserted)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_validation", REPO / "bench" / "validation.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--rows", "3000", "--gx-rows", "1000", "--quick"])
    out = capsys.readouterr().out
    assert "staging: observations (GX)" in out and "GX on pandas" in out and "DuckDB SQL" in out


def official_source_assets(layout, frame: pd.DataFrame) -> list[dg.AssetsDefinition]:
    """A staging asset for an official source as the Eurostat adapter writes one, and an asset downstream."""
    key = dg.AssetKey(["staging", "official_x"])

    @dg.asset(key=key, check_specs=[observations_check_spec(key)])
    def staged(context: dg.AssetExecutionContext):
        checked = validate_staged(frame, asset_key=key, source_kind="eurostat", file="data/raw/x.json")
        yield from conclude_checks(context, layout, "official_x", [checked.outcome], checked.rejected)
        yield dg.MaterializeResult(metadata={"dagster/row_count": len(checked.kept)})

    @dg.asset(deps=[key], automation_condition=DOWNSTREAM_CONDITION)
    def downstream() -> None:
        return None

    return [staged, downstream]


def test_an_official_source_with_few_bad_rows_goes_on_with_a_warning(tmp_path):
    layout = Layout(tmp_path)
    frame = observations(400)
    frame.loc[10, "jurisdiction"] = "XKZ"
    result = dg.materialize(official_source_assets(layout, frame), instance=dg.DagsterInstance.ephemeral())
    assert result.success
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert result.asset_materializations_for_node("downstream")
    staged = result.asset_materializations_for_node("staging__official_x")[0]
    assert staged.metadata["dagster/row_count"].value == 399
    with (layout.rejected_dir / "official_x.csv").open(encoding="utf-8", newline="") as handle:
        assert [(r["row"], r["column"], r["value"]) for r in csv.DictReader(handle)] == [("12", "jurisdiction", "XKZ")]


def test_an_official_source_with_over_one_percent_bad_rows_stops_the_run(tmp_path):
    layout = Layout(tmp_path)
    result = dg.materialize(
        official_source_assets(layout, spoil(observations(400))),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    assert not result.asset_materializations_for_node("downstream")
    assert "sheet.csv, row 4, column 'jurisdiction': got 'XKZ', expected an ISO 3166-1 alpha-3 code" in failure_text(
        result
    )
    assert len(list(layout.validation_dir.glob("*.md"))) == 1


@pytest.mark.parametrize(
    ("period_end", "refused"), [("2001-12-31", False), ("2002-03-31", False), ("2002-12-31", True)]
)
def test_a_historic_currency_is_valid_only_for_periods_before_its_withdrawal(period_end, refused):
    frame = observations(3)
    frame.loc[0, ["measure", "target_group", "unit"]] = ["fine_amount", "employers", "ESP"]
    frame.loc[0, ["period_start", "period_end"]] = [pd.Timestamp("2000-01-01"), pd.Timestamp(period_end)]
    frame.loc[1, ["measure", "target_group", "unit"]] = ["fine_amount", "employers", "EUR"]
    frame.loc[1, ["period_start", "period_end"]] = [pd.Timestamp("2000-01-01"), pd.Timestamp(period_end)]
    results = validate_frame(frame, observation_suite(TODAY), "sheet.csv")
    problems = [problem for result in results for problem in result.problems]
    assert [(str(p.row), p.column) for p in problems] == ([("2", "period_end")] if refused else [])
    if refused:
        assert "ESP (Spanish Peseta) is a historic ISO 4217 code, withdrawn 2002-03" in problems[0].expected
        assert "state later amounts in EUR" in problems[0].expected
