"""Shared fixtures: a temporary copy of the project's data, materialised for real with Dagster."""

import csv
import json
import os
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import numpy as np
import pytest
import yaml
from filelock import FileLock

from pipelines.definitions import build_definitions
from pipelines.eurostat.geo import jurisdiction_for
from pipelines.files import read_yaml
from pipelines.layout import Layout
from pipelines.provenance import sha256_of
from pipelines.versions import observed_versions

REPO = Path(__file__).resolve().parent.parent
SHARED_REFERENCE = REPO.parent / "shared" / "reference"


def copy_sources(target: Path) -> Layout:
    """A fresh project root holding a copy of the committed raw data only."""
    shutil.copytree(REPO / "data" / "raw", target / "data" / "raw")
    return Layout(target)


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    """Ask the GraphQL API of the Dagster webserver at `url`; an error in the answer fails the test."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode("utf-8")
    request = urllib.request.Request(f"{url}/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.load(response)
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


def set_sensor(url: str, sensor: str, running: bool) -> None:
    """Start or stop a sensor of the served code location, as its switch in the UI does."""
    repositories = "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
    [repository] = graphql(url, repositories)["repositoriesOrError"]["nodes"]
    selector = {
        "repositoryLocationName": repository["location"]["name"],
        "repositoryName": repository["name"],
        "sensorName": sensor,
    }
    if running:
        start = (
            "mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) { "
            "... on Sensor { sensorState { status } } } }"
        )
        state = graphql(url, start, {"s": selector})["startSensor"]["sensorState"]
    else:
        find = (
            "query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) { "
            "... on Sensor { jobOriginId sensorState { selectorId } } } }"
        )
        found = graphql(url, find, {"s": selector})["sensorOrError"]
        stop = (
            "mutation($o: String!, $i: String!) { stopSensor(jobOriginId: $o, jobSelectorId: $i) { "
            "... on StopSensorMutationResult { instigationState { status } } } }"
        )
        ids = {"o": found["jobOriginId"], "i": found["sensorState"]["selectorId"]}
        state = graphql(url, stop, ids)["stopSensor"]["instigationState"]
    assert state["status"] == ("RUNNING" if running else "STOPPED"), state


def keep_places(layout: Layout, codes: set[str]) -> None:
    """Cut the figure sheet and every Eurostat snapshot to the places `codes` (ISO 3166-1 alpha-3 or aggregates):
    every source, asset and group stays, with a fraction of the rows and charts."""
    sheet = layout.figures_dir / "enforcement_figures.csv"
    with sheet.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    kept = [row for row in rows if row[header.index("jurisdiction_iso3")] in codes]
    with sheet.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *kept])
    for record in layout.raw_dir.glob("eurostat/*/*.meta.yml"):
        _keep_geos(record, codes)


def _keep_geos(record: Path, codes: set[str]) -> None:
    """Cut a JSON-stat snapshot to the geo codes of `codes`, its record's sha256 and size made to match (values
    are keyed by their position in the grid of the document's dimensions)."""
    snapshot = record.with_name(record.name.removesuffix(".meta.yml") + ".json")
    document = json.loads(snapshot.read_text(encoding="utf-8"))
    sizes, axis = document["size"], document["id"].index("geo")
    category = document["dimension"]["geo"]["category"]
    old = sorted(category["index"], key=category["index"].get)
    kept = [geo for geo in old if jurisdiction_for(geo) in codes]
    category["index"] = {geo: position for position, geo in enumerate(kept)}
    if "label" in category:
        category["label"] = {geo: category["label"][geo] for geo in kept}
    new_sizes = [*sizes[:axis], len(kept), *sizes[axis + 1 :]]
    for part in ("value", "status"):
        cut = {}
        for key, cell in document.get(part, {}).items():
            position = [int(i) for i in np.unravel_index(int(key), sizes)]
            if old[position[axis]] in kept:
                position[axis] = kept.index(old[position[axis]])
                cut[str(np.ravel_multi_index(position, new_sizes))] = cell
        document[part] = cut
    document["size"] = new_sizes
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    snapshot.write_bytes(body)
    meta = read_yaml(record) | {"sha256": sha256_of(snapshot), "size_bytes": len(body)}
    record.write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8")


def materialise(
    layout: Layout,
    job: str = "rebuild_warehouse",
    reread_datasets: bool = True,
    changed_since: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    """Run a job against `layout` on an ephemeral instance; by default everything but the charts (which take
    most of the time and which most tests do not look at). `make run` runs `rebuild_everything`.

    With `reread_datasets=False` the Eurostat datasets' raw and staging steps are left out and the warehouse
    reads their staged files from the last good build, as `make run` does when only figure sheets changed.

    With `changed_since` (each source's files as `observed_versions` recorded them before a change) only the
    raw and staging steps of the sources whose files differ from it run, and everything after them: the
    warehouse reads every other source's staged file from the last good build, as `make run` does when only
    those files changed (pipelines.stale plans it from the same file versions)."""
    defs = build_definitions(layout)
    job_def = defs.resolve_job_def(job)
    now = observed_versions(layout) if changed_since is not None else {}

    def reread(source_id: str) -> bool:
        if changed_since is not None:
            return now.get(source_id) != changed_since.get(source_id)
        return reread_datasets or not source_id.startswith("eurostat_")

    selection = None
    if changed_since is not None or not reread_datasets:
        selection = [
            key
            for key in job_def.asset_layer.executable_asset_keys
            if key.path[0] not in ("raw", "staging") or reread(key.path[-1])
        ]
    with dg.DagsterInstance.ephemeral() as instance:
        return job_def.execute_in_process(instance=instance, raise_on_error=False, asset_selection=selection)


def materialisation(result: dg.ExecuteInProcessResult, key: list[str]) -> dg.AssetMaterialization | None:
    """The materialisation of asset `key` in `result`, or None (the chart assets share one step, so a chart
    asset's materialisation is found by its key, not by its step's name)."""
    found = [event for event in result.get_asset_materialization_events() if event.asset_key == dg.AssetKey(key)]
    assert len(found) <= 1, found
    return found[0].event_specific_data.materialization if found else None


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    """Every step failure's description and error message, joined."""
    texts = []
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data and data.user_failure_data.description:
                texts.append(data.user_failure_data.description)
            if data.error:
                texts.append(data.error.to_string())
    return "\n".join(texts)


@dataclass(frozen=True)
class BuiltRun:
    """The shipped data materialised once for the whole test session, and that run's stored events."""

    layout: Layout
    run_id: str
    events: list[dg.DagsterEvent]


def build_once(shared: Path) -> str:
    """Materialise the shipped data into `shared`/built on a persistent instance beside it, once for every
    pytest-xdist worker (the first one builds, the others wait on the lock); return the run id."""
    done = shared / "built.run_id"
    with FileLock(shared / "built.lock"):
        if not done.exists():
            layout = copy_sources(shared / "built")
            defs = build_definitions(layout)
            (shared / "built-instance").mkdir()
            with dg.DagsterInstance.local_temp(str(shared / "built-instance")) as instance:
                result = defs.resolve_job_def("rebuild_everything").execute_in_process(
                    instance=instance, raise_on_error=False
                )
            assert result.success, failure_text(result)
            done.write_text(result.run_id, encoding="utf-8")
    return done.read_text(encoding="utf-8")


def shared_folder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every pytest-xdist worker of this session sees (each worker has its own base folder; their
    common parent is shared by all of them)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if hasattr(request.config, "workerinput") else base


@pytest.fixture(scope="session")
def built_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> BuiltRun:
    """The shipped data materialised once, with the run's events (materialisations, check evaluations)."""
    shared = shared_folder(request, tmp_path_factory)
    run_id = build_once(shared)
    with dg.DagsterInstance.local_temp(str(shared / "built-instance")) as instance:
        events = [entry.dagster_event for entry in instance.all_logs(run_id) if entry.dagster_event]
    return BuiltRun(Layout(shared / "built"), run_id, events)


@pytest.fixture(scope="session")
def built(built_run: BuiltRun) -> Layout:
    """The shipped data materialised once: warehouse and charts. Do not modify it; copy it."""
    return built_run.layout


@pytest.fixture(scope="session")
def small(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Layout:
    """The fixed sample sheet through the whole job, a Eurostat-kind source added and its charts drawn; built
    once for every pytest-xdist worker (see test_charts.build_small). Do not modify it."""
    from test_charts import build_small

    shared = shared_folder(request, tmp_path_factory)
    done = shared / "small.done"
    with FileLock(shared / "small.lock"):
        if not done.exists():
            build_small(shared / "small")
            done.touch()
    return Layout(shared / "small")


def fingerprint(layout: Layout) -> dict[str, str]:
    """sha256 of the warehouse and every chart file."""
    files = [layout.warehouse_path, *sorted(layout.charts_dir.glob("*.*"))]
    return {path.name: sha256_of(path) for path in files}


@pytest.fixture(scope="session")
def built_fingerprint(built: Layout) -> dict[str, str]:
    """The fingerprint of the shared build, which every copy of it has until it is changed."""
    return fingerprint(built)


@pytest.fixture
def built_copy(built: Layout, tmp_path: Path) -> Layout:
    """A private copy of the built project, for tests that change or break it."""
    for part in ("data", "assets"):
        shutil.copytree(built.root / part, tmp_path / part)
    return Layout(tmp_path)


@pytest.fixture
def built_copy_for_the_warehouse_job(built: Layout, tmp_path: Path) -> Layout:
    """A private copy of the built project for runs of `rebuild_warehouse`, which draws no chart and writes no
    report: data/ is copied, and the files of assets/ are hard links to the shared build's (nothing to copy;
    a fingerprint still reads every byte). A step that rewrote one of them in place would change it in the
    shared build too, and the fingerprint of this copy would fail."""
    shutil.copytree(built.root / "data", tmp_path / "data")
    shutil.copytree(built.root / "assets", tmp_path / "assets", copy_function=os.link)
    return Layout(tmp_path)


@pytest.fixture(scope="session", autouse=True)
def no_publishing_to_the_developers_database():
    """A publish URL in the developer's shell must not reach tests; the team tests set their own server's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ENFORCEMENT_PUBLISH_URL", raising=False)
        yield


# The slowest modules, longest first (measured with --durations); every other module runs after them, in the
# usual order. `make test` runs pytest-xdist with --dist loadfile --no-loadscope-reorder, so each worker takes
# the next module in this order: the first builds the shared project while the second starts the PostgreSQL
# deployment, which needs no shared build, and no long module is left to run alone at the end.
SLOWEST_FIRST = [
    "test_bad_input.py",
    "test_deploy_postgres.py",
    "test_ui_browser.py",
    "test_faults.py",
    "test_bad_workbooks.py",
    "test_changes.py",
    "test_charts.py",
    "test_eurostat.py",
    "test_stale.py",
    "test_report.py",
    "test_spreadsheets.py",
    "test_ui_alerts.py",
    "test_pipeline.py",
    "test_eurostat_refresh.py",
    "test_bench.py",
    "test_validation.py",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the modules as SLOWEST_FIRST says (a stable sort: the tests of a module keep their order)."""
    rank = {name: position for position, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
