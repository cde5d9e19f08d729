"""The UI as an analyst uses it: `python -m pipelines ui` (what `make ui` runs) started once for this module on
a free loopback port, against a temporary copy of the project and a temporary DAGSTER_HOME, driven through
its GraphQL API and with headless Chromium (Debian's package; never a downloaded browser).

Screenshots are saved in tests/artifacts/ (git-ignored).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from conftest import REPO, copy_sources, graphql, keep_places, set_sensor
from pipelines.definitions import build_definitions
from pipelines.layout import Layout
from pipelines.publish import URL_ENV
from pipelines.ui import answers

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "tests" / "artifacts"
READY_SECONDS = 240
RUN_SECONDS = 300
GROUPS = ("raw", "staging", "warehouse", "charts")
CHART = ("charts", "headline_kaz_2008")


@dataclass
class UI:
    url: str
    layout: Layout
    process: subprocess.Popen
    log: Path
    ready_seconds: float

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        return graphql(self.url, query, variables)

    def processes(self) -> list[psutil.Process]:
        launcher = psutil.Process(self.process.pid)
        return [launcher, *launcher.children(recursive=True)]

    def log_tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-5000:]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_and_confirm_nothing_is_left(process: subprocess.Popen, started: list[psutil.Process]) -> list[str]:
    """Stop the UI as Ctrl-C would; kill and name anything still alive afterwards."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    _, alive = psutil.wait_procs(started, timeout=10)
    for leftover in alive:
        leftover.kill()
    return [" ".join(leftover.cmdline()[:4]) for leftover in alive if leftover.is_running()]


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UI]:
    root = tmp_path_factory.mktemp("ui_project")
    layout = copy_sources(root)
    # Every source, asset and group of the shipped project, with the sheet and the Eurostat snapshots cut to a few
    # places (EU28 for a conflict) so the UI's run draws a fraction of the charts; the shared build has the shipped
    # data in full.
    keep_places(layout, {"KAZ", "DEU", "CZE", "EU28"})
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "config" / "dagster.yaml", home / "dagster.yaml")
    url = f"http://127.0.0.1:{free_port()}"
    log = root / "ui.log"
    env = {**os.environ, "DAGSTER_HOME": str(home), "ENFORCEMENT_ROOT": str(root)}
    for name in [name for name in env if name.startswith("ALERT_") or name == URL_ENV]:
        del env[name]  # alerts only go to the alerts folder, and nothing is published, in this test
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipelines", "ui", "--port", url.rsplit(":", 1)[1]],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = UI(url, layout, process, log, 0.0)
    tree = [psutil.Process(process.pid)]
    try:
        while not answers(url):
            assert process.poll() is None, f"the UI exited early:\n{server.log_tail()}"
            assert time.monotonic() - started < READY_SECONDS, f"the UI did not answer:\n{server.log_tail()}"
            time.sleep(0.25)
        server.ready_seconds = time.monotonic() - started
        print(f"\nUI answered /server_info {server.ready_seconds:.1f} s after start")
        wait_for(lambda: len(server.processes()) >= 5, "webserver, daemon and code server to start", server)
        tree = server.processes()
        yield server
    finally:
        if process.poll() is None:
            tree += [child for child in server.processes() if child.pid not in {known.pid for known in tree}]
        leftovers = stop_and_confirm_nothing_is_left(process, tree)
        assert not leftovers, f"still running after the UI stopped: {leftovers}"


def wait_for(condition, what: str, ui: UI, seconds: float = RUN_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}\n{ui.log_tail()}")


def launch(ui: UI, job: str) -> str:
    location = ui.graphql("{ repositoriesOrError { ... on RepositoryConnection { nodes { location { name } } } } }")
    [repository] = location["repositoriesOrError"]["nodes"]
    launched = ui.graphql(
        """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
            __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""",
        {
            "params": {
                "selector": {
                    "repositoryLocationName": repository["location"]["name"],
                    "repositoryName": "__repository__",
                    "jobName": job,
                },
                "runConfigData": "{}",
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def finished_status(ui: UI, run_id: str) -> str:
    def status():
        run = ui.graphql("query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }", {"id": run_id})
        value = run["runOrError"]["status"]
        return value if value in ("SUCCESS", "FAILURE", "CANCELED") else None

    return wait_for(status, f"run {run_id} to finish", ui)


@pytest.fixture(scope="module")
def materialised(ui: UI) -> str:
    """Everything materialised through the UI's run queue (launched via GraphQL, dequeued by the daemon)."""
    run_id = launch(ui, "rebuild_everything")
    assert finished_status(ui, run_id) == "SUCCESS", ui.log_tail()
    return run_id


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run must install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    community = page.get_by_role("dialog").filter(has_text="Join the Dagster community")
    page.add_locator_handler(community, lambda: page.get_by_role("button", name="Skip").click())
    try:
        yield page
    finally:
        context.close()


def test_ui_answers_on_loopback(ui):
    with urllib.request.urlopen(f"{ui.url}/server_info", timeout=10) as response:
        info = json.load(response)
    assert info["dagster_webserver_version"]
    wait_for(lambda: f"Dagster UI: {ui.url}  (ready in" in ui.log_tail(), "the launcher to print the address", ui, 30)


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_the_ui_refuses_a_non_loopback_address(host):
    refused = subprocess.run(
        [sys.executable, "-m", "pipelines", "ui", "--host", host, "--port", str(free_port())],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "DAGSTER_HOME": str(REPO / ".dagster")},
        timeout=60,
    )
    assert refused.returncode == 1
    assert f"Refusing to serve the UI on {host}" in refused.stderr and "SSH tunnel" in refused.stderr


def test_nothing_listens_beyond_loopback(ui):
    listening = [
        (process.pid, connection.laddr)
        for process in ui.processes()
        for connection in process.net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN
    ]
    assert listening, "the webserver should listen somewhere"
    assert all(address.ip in ("127.0.0.1", "::1") for _, address in listening), listening
    assert int(ui.url.rsplit(":", 1)[1]) in {address.port for _, address in listening}


def test_graphql_lists_assets_groups_checks_schedules_and_sensors(ui):
    defs = build_definitions(ui.layout)
    data = ui.graphql(
        """{ assetNodes { assetKey { path } groupName description
               assetChecksOrError { ... on AssetChecks { checks { name } } } }
             repositoriesOrError { ... on RepositoryConnection { nodes {
               schedules { name scheduleState { status } } sensors { name sensorState { status } } } } }
             instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } } }"""
    )
    nodes = {tuple(node["assetKey"]["path"]): node for node in data["assetNodes"]}
    specs = {tuple(spec.key.path): spec for asset in defs.assets for spec in asset.specs}
    assert set(nodes) == set(specs)
    assert {key: node["groupName"] for key, node in nodes.items()} == {k: s.group_name for k, s in specs.items()}
    assert all(node["description"] for node in nodes.values())
    checks = {
        (tuple(n["assetKey"]["path"]), c["name"]) for n in nodes.values() for c in n["assetChecksOrError"]["checks"]
    }
    expected_checks = {(tuple(key.asset_key.path), key.name) for key in defs.resolve_asset_graph().asset_check_keys}
    assert checks == expected_checks

    [repository] = data["repositoriesOrError"]["nodes"]
    repo_def = defs.get_repository_def()
    assert {s["name"] for s in repository["schedules"]} == {s.name for s in repo_def.schedule_defs}
    sensors = {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]}
    assert set(sensors) == {s.name for s in repo_def.sensor_defs}
    for name in ("update_downstream_assets", "alert_on_run_failure", "alert_on_check_failure"):
        assert sensors[name] == "RUNNING"
    required = {d["daemonType"] for d in data["instance"]["daemonHealth"]["allDaemonStatuses"] if d["required"]}
    assert {"SENSOR", "SCHEDULER", "ASSET", "QUEUED_RUN_COORDINATOR"} <= required
    for daemon in required:
        wait_for(lambda d=daemon: _healthy(ui, d), f"the {daemon} daemon to report healthy", ui, 90)
    wait_for(lambda: _every_sensor_ticked(ui), "every sensor to have been evaluated by the daemon", ui, 90)


def _every_sensor_ticked(ui: UI) -> bool:
    data = ui.graphql(
        "{ repositoriesOrError { ... on RepositoryConnection { nodes { sensors { sensorState { ticks(limit: 1) "
        "{ status } } } } } } }"
    )
    [repository] = data["repositoriesOrError"]["nodes"]
    return all(sensor["sensorState"]["ticks"] for sensor in repository["sensors"])


def _healthy(ui: UI, daemon: str) -> bool:
    data = ui.graphql("{ instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }")
    return any(
        d["daemonType"] == daemon and d["healthy"] for d in data["instance"]["daemonHealth"]["allDaemonStatuses"]
    )


def test_asset_graph_shows_the_groups(ui, materialised, page):
    page.goto(f"{ui.url}/asset-groups", wait_until="networkidle")
    page.get_by_text("Materialize all").wait_for()
    page.get_by_text("fetching statuses").first.wait_for(state="detached")
    page.get_by_role("dialog").first.wait_for(state="hidden")
    for group in GROUPS:
        # Once in the side tree and once as a box in the graph.
        assert page.get_by_text(group, exact=True).count() >= 2, group
    page.screenshot(path=ARTIFACTS / "asset-graph.png")
    expanded = ",".join(f"global@global:{group}" for group in GROUPS)
    page.set_viewport_size({"width": 1600, "height": 4000})  # room for every asset of the expanded groups
    page.goto(f"{ui.url}/asset-groups?expanded={expanded}", wait_until="networkidle")
    for asset in ("observations", "comparisons", "measures", "units", "sources", CHART[1]):
        page.get_by_text(asset, exact=True).first.wait_for()
    page.screenshot(path=ARTIFACTS / "asset-graph-expanded.png")


def test_a_materialisation_launched_in_the_ui_succeeds(ui, materialised):
    assert ui.layout.warehouse_path.exists()
    assert (ui.layout.charts_dir / "headline_kaz_2008.png").exists()


def test_each_materialisation_shows_rows_and_a_preview(ui, materialised):
    """Tables (curated sheets, staging, warehouse) show rows and a preview; raw files their checksum."""
    data = ui.graphql(
        """{ assetNodes { assetKey { path } groupName tags { key value }
               assetMaterializations(limit: 3) { runId metadataEntries { label
                 ... on MarkdownMetadataEntry { mdStr } ... on IntMetadataEntry { intValue }
                 ... on TextMetadataEntry { text }
                 ... on TableSchemaMetadataEntry { schema { columns { name } } } } } } }"""
    )
    for node in data["assetNodes"]:
        name, group = "/".join(node["assetKey"]["path"]), node["groupName"]
        if group == "publish":
            assert node["assetMaterializations"] == [], name  # skipped: no PostgreSQL URL in this test
            continue
        if node["assetKey"]["path"][0] == "files":
            continue  # observed source files: they record data versions, never a materialisation
        # The UI's run, whatever the automation sensor did since: a job run launched whole records no asset
        # selection, so Dagster's eager condition may count its inputs as new for the report it built after them.
        [ours] = [event for event in node["assetMaterializations"] if event["runId"] == materialised]
        entries = {entry["label"]: entry for entry in ours["metadataEntries"]}
        if group == "charts":
            assert entries["thumbnail"]["mdStr"].startswith("!["), (name, entries.get("status"))
            continue
        if group == "raw":
            assert len(entries["sha256"]["text"]) == 64, name
            if {"key": "source_kind", "value": "official"} in node["tags"]:
                continue  # an API snapshot (a document, not a table): its path, checksum and request
        if group == "reports":
            assert entries["charts"]["intValue"] > 0 and entries["figures_cited"]["intValue"] > 0, name
            continue
        empty_allowed = name == "rejected_rows"  # nothing quarantined: the shipped sources are clean
        assert entries["dagster/row_count"]["intValue"] > 0 or empty_allowed, name
        assert entries["preview"]["mdStr"].startswith("| ") and len(entries["preview"]["mdStr"]) < 20_000, name
        if group == "warehouse":  # staging declares its columns on the definition
            assert entries["dagster/column_schema"]["schema"]["columns"], name


def test_the_kazakhstan_chart_shows_its_thumbnail(ui, materialised, page):
    page.goto(f"{ui.url}/assets/{'/'.join(CHART)}", wait_until="networkidle")
    page.get_by_text("[Show Markdown]").first.click()
    thumbnail = page.locator("img[src^='data:image/png;base64,']").first
    thumbnail.wait_for(state="visible")
    width, height, alt = thumbnail.evaluate("image => [image.naturalWidth, image.naturalHeight, image.alt]")
    assert width > 200 and height > 100
    assert alt == "Kazakhstan, 2008: 76 foreigners arrested for every employer held liable"
    page.wait_for_timeout(500)  # the dialog fades in
    page.screenshot(path=ARTIFACTS / "chart-thumbnail.png")


def test_a_failed_run_raises_an_alert_under_the_daemon(ui, materialised, page, tmp_path):
    sheet = ui.layout.figures_dir / "enforcement_figures.csv"
    kept = shutil.copy2(sheet, tmp_path / sheet.name)  # its bytes and modification time
    lines = sheet.read_text(encoding="utf-8").splitlines()
    try:
        # This test launches the failing run itself: the raw-files sensor would start another for the broken sheet.
        set_sensor(ui.url, "raw_files_changed", running=False)
        # The failed run materialises the broken sheet's raw asset before its check fails, so the automation sensor
        # would rebuild from the restored sheet while the module stops the UI (tests/test_automation.py covers it):
        # it stays off, this being the module's last test.
        set_sensor(ui.url, "update_downstream_assets", running=False)
        sheet.write_text("\n".join([lines[0], lines[1].replace(",136000,", ",lots,"), *lines[2:]]) + "\n", "utf-8")
        run_id = launch(ui, "rebuild_everything")
        assert finished_status(ui, run_id) == "FAILURE"
        alerts = wait_for(lambda: list(ui.layout.alerts_dir.glob(f"*run_failure-{run_id[:8]}.json")), "an alert", ui)
    finally:
        shutil.copy2(kept, sheet)  # as it was, modification time included: the sensor finds nothing changed
        set_sensor(ui.url, "raw_files_changed", running=True)
    record = json.loads(alerts[0].read_text(encoding="utf-8"))
    assert "lots" in record["message"] and record["link"] == f"{ui.url}/runs/{run_id}"
    page.goto(f"{ui.url}/runs/{run_id}", wait_until="networkidle")
    page.get_by_text("ALERT run failed").first.wait_for()
    page.screenshot(path=ARTIFACTS / "failed-run-alert.png")
