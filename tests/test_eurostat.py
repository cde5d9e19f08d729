"""Eurostat datasets: shipped snapshots parsed into observations, the detail table, parse-level refusals,
a fifth dataset added by configuration alone, and the offline default run."""

import csv
import hashlib
import json
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pycountry
import pytest
import yaml
from eurostat_server import FIXTURES, Answer, EurostatStub
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, SHARED_REFERENCE, copy_sources, failure_text, keep_places, materialise
from pipelines.assets.warehouse import TABLE_DESCRIPTIONS
from pipelines.definitions import build_definitions
from pipelines.eurostat import client, formats, snapshots, staging
from pipelines.eurostat.errors import SnapshotError
from pipelines.eurostat.geo import jurisdiction_for
from pipelines.eurostat.reconstruct import _document
from pipelines.sources import read_registry
from pipelines.versions import observed_versions

SHIPPED = {"migr_eipre": 426, "migr_eiord": 220, "migr_eirtn": 220, "migr_eirfs": 393}
REFERENCE = SHARED_REFERENCE / "eurostat"


def query(layout, sql: str, parameters=None) -> list[tuple]:
    with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
        return con.execute(sql, parameters or []).fetchall()


def run(layout, source_id: str, download: bool = False, accept_shrink: bool = False) -> dg.ExecuteInProcessResult:
    """Materialise one dataset's raw and staging assets and the warehouse, as the refresh job would
    (`accept_shrink`: with consent for the dataset to lose rows)."""
    defs = build_definitions(layout)
    keys = [dg.AssetKey(["raw", source_id]), dg.AssetKey(["staging", source_id])]
    keys += [dg.AssetKey(table) for table in TABLE_DESCRIPTIONS]
    config = {"ops": {f"raw__{source_id}": {"config": {"download": download}}}}
    if accept_shrink:
        config["ops"]["warehouse"] = {"config": {"accept_shrink": [source_id], "reason": "a smaller test response"}}
    with dg.DagsterInstance.ephemeral() as instance:
        return defs.resolve_implicit_global_asset_job_def().execute_in_process(
            asset_selection=keys, run_config=config, instance=instance, raise_on_error=False
        )


def iso3(geo: str) -> str:
    special = {"EL": "GRC", "UK": "GBR"}
    return geo if geo.startswith("EU") else special.get(geo) or pycountry.countries.get(alpha_2=geo).alpha_3


def test_every_dataset_with_shipped_values_has_observations(built):
    rows = dict(
        query(built, "SELECT source_id, count(*) FROM observations WHERE source_id LIKE 'eurostat_%' GROUP BY 1")
    )
    assert rows == {f"eurostat_{dataset}": count for dataset, count in SHIPPED.items()}
    measures = query(
        built,
        "SELECT DISTINCT source_id, measure, target_group, unit FROM observations WHERE source_id LIKE 'eurostat_%'",
    )
    assert sorted(measures) == [
        ("eurostat_migr_eiord", "ordered_to_leave", "migrants", "persons"),
        ("eurostat_migr_eipre", "detected_violation", "migrants", "persons"),
        ("eurostat_migr_eirfs", "refused_entry", "migrants", "persons"),
        ("eurostat_migr_eirtn", "returned", "migrants", "persons"),
    ]


@pytest.mark.skipif(not REFERENCE.exists(), reason="needs ../shared/reference/eurostat")
def test_migr_eipre_totals_match_the_real_responses(built):
    document = json.loads((REFERENCE / "eurostat_migr_eipre.json").read_bytes())
    geos = document["dimension"]["geo"]["category"]["index"]
    times = document["dimension"]["time"]["category"]["index"]
    expected, flags = {}, {}
    for geo, g in geos.items():  # reason=TOTAL and apprehen=TOTAL are position 0: index = geo * years + time
        for time, t in times.items():
            key = str(g * len(times) + t)
            if document["value"].get(key) is not None:
                expected[(iso3(geo), int(time))] = document["value"][key]
                flags[(iso3(geo), int(time))] = document["status"].get(key)
    rows = query(
        built,
        "SELECT jurisdiction, year(period_end), value, flags FROM observations "
        "WHERE source_id = 'eurostat_migr_eipre' AND year(period_end) BETWEEN 2010 AND 2022",
    )
    assert {(j, y): v for j, y, v, _ in rows} == expected
    assert {(j, y): f for j, y, _, f in rows} == flags
    later = json.loads((REFERENCE / "eurostat_migr_eipre_CH_PT_SE_2010_2023.json").read_bytes())
    rows = dict(
        query(built, "SELECT jurisdiction, value FROM observations WHERE figure_id LIKE 'EUROSTAT-migr_eipre-%-2023'")
    )
    assert rows == {"PRT": later["value"]["13"], "SWE": later["value"]["27"], "CHE": later["value"]["41"]}


def test_observations_lead_to_the_snapshot_bytes(built):
    rows = query(
        built,
        "SELECT o.source_url, o.locator, o.quote, s.raw_path, s.sha256, s.retrieved_at, s.kind FROM observations o "
        "JOIN sources s USING (source_id) WHERE o.figure_id = 'EUROSTAT-migr_eipre-EL-2015'",
    )
    ((url, locator, quote, raw_path, sha, retrieved, kind),) = rows
    assert url.startswith("https://ec.europa.eu/eurostat/api/dissemination/statistics/1.0/data/migr_eipre?")
    assert kind == "eurostat" and retrieved
    assert hashlib.sha256((built.root / raw_path).read_bytes()).hexdigest() == sha
    assert sha[:12] in locator and raw_path in locator and "geo=EL" in locator and "time=2015" in locator
    assert "reason=TOTAL" in quote and "apprehen=TOTAL" in quote


def test_detail_table_holds_every_cell(built):
    cells = query(
        built,
        "SELECT count(*), count(DISTINCT reason), count(DISTINCT apprehen) FROM eurostat_detail "
        "WHERE dataset = 'migr_eipre'",
    )
    assert cells[0][1:] == (4, 6) and cells[0][0] > 426
    aggregates = query(built, "SELECT DISTINCT jurisdiction FROM eurostat_detail WHERE geo LIKE 'EU%' ORDER BY 1")
    assert aggregates == [("EU27_2007",), ("EU27_2020",), ("EU28",)]
    assert query(built, "SELECT DISTINCT jurisdiction FROM eurostat_detail WHERE geo IN ('EL', 'UK') ORDER BY 1") == [
        ("GBR",),
        ("GRC",),
    ]


def test_reconstructed_snapshots_say_so(built):
    for dataset in read_registry(built).datasets:
        snapshot = snapshots.current_snapshot(dataset)
        assert snapshot
        assert (
            snapshot.reconstructed
            and "Reconstructed from published Eurostat values" in snapshot.meta["reconstruction_note"]
        )
        assert snapshot.meta["request_url"].startswith(
            ("https://ec.europa.eu/", "http://appsso.eurostat.ec.europa.eu/")
        )
    eirfs = next(d for d in read_registry(built).datasets if d.dataset == "migr_eirfs")
    superseded = snapshots.current_snapshot(eirfs).meta["superseded"]
    assert {
        "geo": "FR",
        "time": "2016",
        "older_value": 63390,
        "older_export": "dw-data",
        "value_used": 8580,
    } in superseded


def test_default_run_never_opens_a_network_connection(built_copy):
    connections = []
    listening = [True]

    def hook(event: str, args: tuple) -> None:
        if listening[0] and event == "socket.connect":
            connections.append(args[1])

    sys.addaudithook(hook)
    try:
        result = materialise(built_copy)
    finally:
        listening[0] = False
    assert result.success, failure_text(result)
    assert [address for address in connections if not isinstance(address, str)] == []


def test_parse_refuses_unknown_geo_and_unparseable_values(tmp_path):
    layout, dataset = _layout_with_entry(tmp_path, "test_refusals", "sdmx-csv")
    body = (FIXTURES / "refusals_AT_HU_2021_2022.csv").read_text(encoding="utf-8")
    body += "ESTAT:X(1.0),,A,TOTAL,TOTAL,TOTAL,PER,XX,2021,12,\n"
    body += "ESTAT:X(1.0),,A,TOTAL,TOTAL,TOTAL,PER,AT,2020,n/a,\n"
    body += "ESTAT:X(1.0),,A,TOTAL,TOTAL,TOTAL,PER,AT,2019,,:\n"
    snapshot = _store(dataset, body.encode())
    staged = staging.stage(layout, dataset, snapshot)
    assert staged.rejected == 2 and staged.cells == 6
    assert sorted(staged.observations["figure_id"]) == [
        f"EUROSTAT-test_refusals-{g}-{y}" for g in ("AT", "HU") for y in (2021, 2022)
    ]
    with (layout.rejected_dir / "eurostat_test_refusals.cells.csv").open(encoding="utf-8", newline="") as handle:
        rejected = list(csv.DictReader(handle))
    assert {(r["column"], r["value"]) for r in rejected} == {("geo", "XX"), ("value", "n/a")}
    assert all(r["file"].endswith(".csv") and "time=" in r["row"] and r["reason"] for r in rejected)


def test_unpinned_dimension_is_a_clear_error(tmp_path):
    layout, dataset = _layout_with_entry(tmp_path, "test_refusals", "sdmx-csv", totals={"unit": "PER"})
    snapshot = _store(
        dataset,
        (FIXTURES / "refusals_AT_HU_2021_2022.csv")
        .read_bytes()
        .replace(b"TOTAL,TOTAL,TOTAL,PER,HU,2022", b"UA,TOTAL,TOTAL,PER,HU,2022"),
    )
    with pytest.raises(staging.SnapshotError, match=r"citizen \(2 categories\) are not pinned"):
        staging.stage(layout, dataset, snapshot)


def test_a_fifth_dataset_by_configuration_alone(built_copy, monkeypatch):
    versions = observed_versions(built_copy)
    _write_entry(built_copy.root, "test_refusals", "sdmx-csv")
    result = materialise(built_copy, changed_since=versions)
    assert result.success, failure_text(result)
    status = result.asset_materializations_for_node("raw__eurostat_test_refusals")[0].metadata["status"].value
    assert status == "not yet retrieved"
    (description,) = query(built_copy, "SELECT description FROM sources WHERE source_id = 'eurostat_test_refusals'")[0]
    assert description.startswith("Not yet retrieved")
    with EurostatStub() as stub:
        body = (FIXTURES / "refusals_AT_HU_2021_2022.csv").read_bytes()
        stub.script("test_refusals", Answer(body=body, content_type="text/csv; charset=utf-8"))
        monkeypatch.setenv(client.API_BASE_ENV, stub.base)
        result = run(built_copy, "eurostat_test_refusals", download=True)
    assert result.success, failure_text(result)
    assert stub.requests == ["/eurostat/api/dissemination/sdmx/2.1/data/test_refusals?citizen=TOTAL&format=SDMX-CSV"]
    rows = query(
        built_copy,
        "SELECT jurisdiction, year(period_end), value, measure FROM observations "
        "WHERE source_id = 'eurostat_test_refusals' ORDER BY 1, 2",
    )
    assert rows == [
        ("AUT", 2021, 555, "refused_entry"),
        ("AUT", 2022, 575, "refused_entry"),
        ("HUN", 2021, 34650, "refused_entry"),
        ("HUN", 2022, 15780, "refused_entry"),
    ]
    assert query(built_copy, "SELECT count(*) FROM eurostat_detail WHERE dataset = 'test_refusals'") == [(4,)]


def test_registry_refuses_paths_outside_data(tmp_path):
    _write_entry(tmp_path, "test_refusals", "jsonstat", snapshots="../outside")
    from pipelines.layout import Layout
    from pipelines.problems import BadInputError

    with pytest.raises(BadInputError, match=r"snapshots.*outside"):
        read_registry(Layout(tmp_path))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=3), st.data())
def test_jsonstat_cells_round_trip(tmp_path_factory, sizes, data):
    dimensions = {f"d{i}": [f"C{i}_{j}" for j in range(size)] for i, size in enumerate(sizes)}
    dimensions |= {"geo": ["DE", "FR"], "time": ["2020", "2021"]}
    keys = [tuple(codes) for codes in _product(list(dimensions.values()))]
    chosen = data.draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
    cells = {
        key: (data.draw(st.integers(0, 10**9)), data.draw(st.sampled_from([None, "b", "e", "p"]))) for key in chosen
    }
    folder = tmp_path_factory.mktemp("jsonstat")
    path = folder / "cube.json"
    path.write_text(json.dumps(_document("test", dimensions, cells, None)), encoding="utf-8")
    names = formats._jsonstat_cells(path, "cube.json", folder / "cells.csv")
    with (folder / "cells.csv").open(encoding="utf-8", newline="") as handle:
        decoded = {tuple(r[n] for n in names): (int(r["raw_value"]), r["flag"] or None) for r in csv.DictReader(handle)}
    assert decoded == cells


def _decoded(path: Path, scratch: Path) -> tuple[list[str], dict[tuple, tuple]]:
    """A JSON-stat file's dimension names and {codes: (value, flag)}, as the staging step reads them."""
    names = formats._jsonstat_cells(path, path.name, scratch)
    with scratch.open(encoding="utf-8", newline="") as handle:
        return names, {tuple(r[n] for n in names): (r["raw_value"], r["flag"]) for r in csv.DictReader(handle)}


def test_places_cut_for_the_service_tests_keep_each_kept_cell_and_a_true_record(tmp_path):
    """keep_places (the UI and PostgreSQL tests' smaller project) moves no value to another place or year."""
    places = {"KAZ", "DEU", "CZE", "EU28"}
    layout = copy_sources(tmp_path / "cut")
    keep_places(layout, places)
    for dataset in read_registry(layout).datasets:
        cut = snapshots.current_snapshot(dataset)  # its file matches its record's sha256 and size
        shipped = REPO / cut.path.relative_to(layout.root)
        names, full = _decoded(shipped, tmp_path / "full.csv")
        expected = {key: cell for key, cell in full.items() if jurisdiction_for(key[names.index("geo")]) in places}
        assert _decoded(cut.path, tmp_path / "cut.csv") == (names, expected) and expected, dataset.source_id
        assert len(expected) < len(full), dataset.source_id


def _product(lists):
    if not lists:
        yield ()
        return
    for head in lists[0]:
        for rest in _product(lists[1:]):
            yield (head, *rest)


def _write_entry(root: Path, code: str, fmt: str, totals=None, snapshots=None) -> Path:
    entry = {
        "id": f"eurostat_{code}", "kind": "eurostat", "dataset": code, "producer": "Eurostat",
        "title": "Refusals of entry (test copy of migr_eirfs totals)", "citation_full": "Eurostat, migr_eirfs.",
        "license": "CC BY 4.0", "refresh": "monthly", "format": fmt, "query": {"citizen": "TOTAL"},
        "measure": "refused_entry", "unit": "persons",
        "totals": totals or {"citizen": "TOTAL", "border": "TOTAL", "reason": "TOTAL", "unit": "PER"},
    }  # fmt: skip
    if snapshots:
        entry["snapshots"] = snapshots
    path = root / "data" / "raw" / "sources" / f"eurostat_{code}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(entry), encoding="utf-8")
    return path


def _layout_with_entry(tmp_path: Path, code: str, fmt: str, totals=None):
    from pipelines.layout import Layout

    _write_entry(tmp_path, code, fmt, totals)
    layout = Layout(tmp_path)
    return layout, read_registry(layout).datasets[0]


def _store(dataset, body: bytes) -> snapshots.Snapshot:
    dataset.snapshot_dir.mkdir(parents=True, exist_ok=True)
    temporary = dataset.snapshot_dir / ".incoming.partial"
    temporary.write_bytes(body)
    fetched = client.Download(
        temporary, "http://127.0.0.1/test", hashlib.sha256(body).hexdigest(), len(body), "text/csv"
    )
    return snapshots.store(dataset, fetched, formats.check(temporary, dataset.format, "test"))


def test_a_snapshot_changed_after_storing_is_an_error_not_a_fallback(tmp_path):
    _, dataset = _layout_with_entry(tmp_path, "test_refusals", "sdmx-csv")
    body = (FIXTURES / "refusals_AT_HU_2021_2022.csv").read_bytes()
    _store(dataset, body)
    newer = _store(dataset, body.replace(b"555", b"560"))
    assert snapshots.current_snapshot(dataset).path == newer.path
    changed = body.replace(b"555", b"999")
    newer.path.write_bytes(changed)
    with pytest.raises(SnapshotError) as error:
        snapshots.current_snapshot(dataset)
    message = str(error.value)
    assert str(newer.path) in message
    assert f"expected sha256 {newer.sha256}" in message
    assert f"actual sha256 {hashlib.sha256(changed).hexdigest()}" in message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"DATAFLOW,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\nX,AT,2021,5", "last line is incomplete"),
        (b"DATAFLOW,geo,TIME_PERIOD,VALUE\nX,AT,2021,5\n", "lacks ['OBS_VALUE', 'OBS_FLAG']"),
        (b"", "empty file"),
    ],
)
def test_sdmx_csv_check_refuses_broken_files(tmp_path, body, message):
    path = tmp_path / "response.csv"
    path.write_bytes(body)
    with pytest.raises(staging.SnapshotError) as error:
        formats.check(path, "sdmx-csv", "response.csv")
    assert message in str(error.value)


def test_a_snapshot_just_stored_is_verified_without_reading_it_again(tmp_path, monkeypatch):
    _, dataset = _layout_with_entry(tmp_path, "test_refusals", "sdmx-csv")
    body = (FIXTURES / "refusals_AT_HU_2021_2022.csv").read_bytes()
    read = []
    monkeypatch.setattr(
        snapshots, "sha256_of", lambda path: read.append(path) or hashlib.sha256(path.read_bytes()).hexdigest()
    )
    stored = _store(dataset, body)
    assert snapshots.current_snapshot(dataset).path == stored.path
    assert read == []
    stored.path.write_bytes(body + b"AT,2023,1\n")
    with pytest.raises(SnapshotError, match="no longer matches its record"):
        snapshots.current_snapshot(dataset)
    assert read == [stored.path]
