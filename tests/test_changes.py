"""Nothing lost without a word: damaged snapshots stop the run, a shrinking source needs consent, and every run
records what changed (the table `changes` and `data/curated/changes/<run id>.md`)."""

import getpass
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from eurostat_server import Answer, EurostatStub
from hypothesis import given, settings
from hypothesis import strategies as st
from test_eurostat import run as run_dataset

from conftest import BuiltRun, copy_sources, failure_text, materialise
from pipelines import columns
from pipelines.changes import CHANGE_COLUMNS, changes_file
from pipelines.definitions import build_definitions
from pipelines.eurostat import client, snapshots
from pipelines.eurostat.errors import SnapshotError
from pipelines.layout import Layout
from pipelines.provenance import sha256_of, sidecar_path
from pipelines.rows import insert_columns
from pipelines.sources import read_registry
from pipelines.versions import observed_versions

SHEET_SOURCE = "figures_enforcement_figures"
EIPRE = "eurostat_migr_eipre"


@pytest.fixture(scope="module")
def warehouse_built(built_run: BuiltRun) -> tuple[Layout, str]:
    """The shipped sources built into a warehouse once for the session (conftest's built_run), with the run id."""
    return built_run.layout, built_run.run_id


@pytest.fixture
def project(warehouse_built: tuple[Layout, str], tmp_path: Path) -> Layout:
    """A private copy of the built project."""
    shutil.copytree(warehouse_built[0].data_dir, tmp_path / "data")
    return Layout(tmp_path)


def sheet(layout: Layout) -> Path:
    return layout.figures_dir / "enforcement_figures.csv"


def eipre_snapshot(layout: Layout) -> Path:
    return next((layout.raw_dir / "eurostat" / "migr_eipre").glob("*.json"))


def query(layout: Layout, sql: str, parameters=None) -> list[tuple]:
    with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
        return con.execute(sql, parameters or []).fetchall()


def run_with(layout: Layout, accept: list[str], reason: str) -> dg.ExecuteInProcessResult:
    """`rebuild_warehouse` with the warehouse's consent to a shrink, as `--accept-shrink`/`--reason` set it."""
    config = {"ops": {"warehouse": {"config": {"accept_shrink": accept, "reason": reason}}}}
    with dg.DagsterInstance.ephemeral() as instance:
        return (
            build_definitions(layout)
            .resolve_job_def("rebuild_warehouse")
            .execute_in_process(run_config=config, instance=instance, raise_on_error=False)
        )


def failed_checks(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    return {
        event.asset_check_evaluation_data.check_name: event.asset_check_evaluation_data.description
        for event in result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION" and not event.asset_check_evaluation_data.passed
    }


# Integrity: a damaged snapshot is an error, never a silent fallback.


def dataset(layout: Layout):
    return next(d for d in read_registry(layout).datasets if d.source_id == EIPRE)


def test_appended_byte_names_file_and_both_checksums(tmp_path):
    layout = copy_sources(tmp_path)
    path = eipre_snapshot(layout)
    expected = sha256_of(path)
    with path.open("ab") as handle:
        handle.write(b" ")
    with pytest.raises(SnapshotError) as error:
        snapshots.current_snapshot(dataset(layout))
    message = str(error.value)
    assert path.name in message and f"expected sha256 {expected}" in message
    assert f"actual sha256 {sha256_of(path)}" in message and expected != sha256_of(path)


def test_truncated_file_is_an_error(tmp_path):
    layout = copy_sources(tmp_path)
    path = eipre_snapshot(layout)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(SnapshotError, match=r"no longer matches its record.*\(100 bytes\)"):
        snapshots.current_snapshot(dataset(layout))


def test_record_without_its_file_is_an_error_not_an_older_snapshot(tmp_path):
    layout = copy_sources(tmp_path)
    path = eipre_snapshot(layout)
    older = path.with_name("20200101T000000Z_000000000000.json")
    shutil.copy(path, older)
    shutil.copy(sidecar_path(path), sidecar_path(older))
    path.unlink()
    with pytest.raises(SnapshotError) as error:
        snapshots.current_snapshot(dataset(layout))
    assert "record without its file" in str(error.value) and sidecar_path(path).name in str(error.value)


def test_file_without_its_record_is_an_error(tmp_path):
    layout = copy_sources(tmp_path)
    path = eipre_snapshot(layout)
    sidecar_path(path).unlink()
    with pytest.raises(SnapshotError, match="snapshot file without its record"):
        snapshots.current_snapshot(dataset(layout))


def test_a_damaged_snapshot_stops_the_run_and_keeps_the_warehouse(project):
    path = eipre_snapshot(project)
    expected = sha256_of(path)
    before = sha256_of(project.warehouse_path)
    versions = observed_versions(project)
    with path.open("ab") as handle:
        handle.write(b"\n")
    result = materialise(project, changed_since=versions)
    assert not result.success
    text = failure_text(result)
    assert "data/raw/eurostat/migr_eipre/" + path.name in text
    assert expected in text and sha256_of(path) in text
    assert "snapshot_intact" in failed_checks(result)
    materialised = {event.asset_key for event in result.get_asset_materialization_events()}
    assert not {dg.AssetKey(["staging", EIPRE]), dg.AssetKey("observations")} & materialised
    assert sha256_of(project.warehouse_path) == before


# The shrink guard.


def keep_first_rows(path: Path, rows: int) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[: rows + 1]), encoding="utf-8")


def test_a_sheet_cut_to_100_rows_needs_consent(project, warehouse_built):
    _, good_run = warehouse_built
    figure_ids = [
        row[0] for row in query(project, "SELECT figure_id FROM observations WHERE source_id = ?", [SHEET_SOURCE])
    ]
    before = sha256_of(project.warehouse_path)
    cut = [line.split(",", 1)[0] for line in sheet(project).read_text(encoding="utf-8").splitlines()[101:]]
    versions = observed_versions(project)
    keep_first_rows(sheet(project), 100)
    refused = materialise(project, changed_since=versions)
    assert not refused.success
    text = failure_text(refused)
    assert f"| {SHEET_SOURCE} | {len(figure_ids)} | 100 |" in text and "--accept-shrink" in text
    assert "shrink_consented" in failed_checks(refused)
    assert sha256_of(project.warehouse_path) == before
    assert changes_file(project.curated_dir, good_run).exists()
    assert not changes_file(project.curated_dir, refused.run_id).exists()

    accepted = run_with(project, [SHEET_SOURCE], "sheet split in two")
    assert accepted.success, failure_text(accepted)
    [(by, reason, rows_before, rows_after)] = query(
        project,
        "SELECT accepted_by, reason, old_value, new_value FROM changes WHERE change = 'shrink_accepted' AND run_id = ?",
        [accepted.run_id],
    )
    assert (by, reason, rows_before, rows_after) == (
        getpass.getuser(),
        "sheet split in two",
        str(len(figure_ids)),
        "100",
    )
    removed = query(project, "SELECT figure_id FROM changes WHERE change = 'removed' AND run_id = ?", [accepted.run_id])
    assert sorted(row[0] for row in removed) == sorted(cut)
    (earlier,) = query(project, "SELECT count(*) FROM changes WHERE run_id = ?", [good_run])[0]
    assert earlier > 0, "the earlier runs' changes are carried over"


def half_the_cells(document: bytes) -> bytes:
    parsed = json.loads(document)
    parsed["value"] = {index: value for n, (index, value) in enumerate(parsed["value"].items()) if n % 2 == 0}
    return json.dumps(parsed).encode()


def test_an_official_refresh_with_half_its_cells_needs_consent(project, monkeypatch):
    monkeypatch.setenv("EUROSTAT_RETRIES", "1")
    before_rows = query(project, "SELECT count(*) FROM observations WHERE source_id = ?", [EIPRE])[0][0]
    before = sha256_of(project.warehouse_path)
    with EurostatStub() as stub:
        monkeypatch.setenv(client.API_BASE_ENV, stub.base)
        stub.script("migr_eipre", Answer(body=half_the_cells(eipre_snapshot(project).read_bytes())))
        refused = run_dataset(project, EIPRE, download=True)
    assert not refused.success
    text = failure_text(refused)
    assert f"| {EIPRE} | {before_rows} |" in text and "EUROSTAT-migr_eipre-" in text
    assert sha256_of(project.warehouse_path) == before

    accepted = run_with(project, [EIPRE], "Eurostat withdrew the cells")
    assert accepted.success, failure_text(accepted)
    (after_rows,) = query(project, "SELECT count(*) FROM observations WHERE source_id = ?", [EIPRE])[0]
    assert 0 < after_rows < before_rows
    assert query(project, "SELECT reason FROM changes WHERE change = 'shrink_accepted'") == [
        ("Eurostat withdrew the cells",)
    ]


# The change log.


def test_change_log_after_a_corrected_an_added_and_a_removed_figure(project):
    versions = observed_versions(project)
    path = sheet(project)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    corrected = lines[1].replace(",136000,", ",136001,")
    assert corrected != lines[1] and lines[1].startswith("KAZ-2008-FIDH-01,")
    removed_id = lines[-1].split(",", 1)[0]
    (removed_value, removed_quote) = query(
        project, "SELECT value, quote FROM observations WHERE figure_id = ?", [removed_id]
    )[0]
    added = lines[2].replace("KAZ-2008-FIDH-02,", "KAZ-2008-TEST-99,", 1)
    path.write_text("".join([lines[0], corrected, *lines[2:-1], added]), encoding="utf-8")
    (project.raw_dir / "sources" / "eurostat_migr_eirtn.yml").unlink()  # a registry entry removed on purpose

    result = materialise(project, changed_since=versions)
    assert result.success, failure_text(result)
    rows = query(
        project,
        "SELECT source_id, change, figure_id, old_value, new_value, quote FROM changes WHERE run_id = ? "
        "AND change IN ('added', 'removed', 'changed', 'source_removed') AND source_id <> 'eurostat_migr_eirtn'",
        [result.run_id],
    )
    quote = corrected.split('"')[1]
    assert sorted(rows) == sorted(
        [
            (SHEET_SOURCE, "added", "KAZ-2008-TEST-99", None, "17000", lines[2].split('"')[1]),
            (SHEET_SOURCE, "changed", "KAZ-2008-FIDH-01", "136000", "136001", quote),
            (SHEET_SOURCE, "removed", removed_id, f"{removed_value:.0f}", None, removed_quote),
        ]
    )
    assert query(project, "SELECT old_value, new_value FROM changes WHERE run_id = ? AND change = 'source_removed'",
                 [result.run_id]) == [("220", None)]  # fmt: skip
    moved = query(
        project,
        "SELECT figure_id FROM changes WHERE run_id = ? AND change = 'ratio_moved'",
        [result.run_id],
    )
    assert ("KAZ-2008-FIDH-01 / KAZ-2008-FIDH-03",) in moved
    log = changes_file(project.curated_dir, result.run_id).read_text(encoding="utf-8")
    assert "1 value changed: KAZ-2008-FIDH-01 136000 → 136001" in log
    assert "source removed: eurostat_migr_eirtn (220 rows)" in log


def test_every_column_of_changes_is_described():
    assert all(columns.describe("changes", name) for name in CHANGE_COLUMNS)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(), st.none() | st.text()), max_size=40))
def test_rows_inserted_in_one_statement_come_back_as_they_went_in(pairs):
    """`insert_columns` keeps every value, None as NULL, quotes and any text as they are, in order; a computed
    column gets its SQL expression."""
    with duckdb.connect() as con:
        con.execute('CREATE TABLE t (n INTEGER, "a name" VARCHAR, other VARCHAR, stamped TIMESTAMPTZ)')
        values = {"n": list(range(len(pairs))), "a name": [a for a, _ in pairs], "other": [b for _, b in pairs]}
        insert_columns(con, "t", values, {"stamped": "current_timestamp"})
        rows = con.execute('SELECT "a name", other, stamped IS NOT NULL FROM t ORDER BY n').fetchall()
    assert rows == [(a, b, True) for a, b in pairs]
