"""The team deployment for real, on a throwaway PostgreSQL server started here (Debian's `postgresql` package).

Dagster runs with deploy/dagster.yaml unchanged: storage in PostgreSQL, the run queue, the daemon, the code
server started with the command from deploy/compose.yaml, the webserver; the publish asset writes the
warehouse into PostgreSQL and a reporting role reads it. Without PostgreSQL binaries the module is skipped on
a developer's machine and fails under CI=true.
"""

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import dagster as dg
import duckdb
import psycopg
import pytest
import yaml
from psycopg import errors, sql

from conftest import REPO, copy_sources, failure_text, graphql, keep_places, set_sensor
from pipelines.assets.publish import PUBLISH_KEY
from pipelines.definitions import build_definitions
from pipelines.layout import Layout
from pipelines.publish import PUBLISHED_TABLES, PublishError, PublishTarget, publish_warehouse

DEPLOY = REPO / "deploy"
PASSWORDS = {"dagster": "dagster-test-pw", "publisher": "publisher-test-pw", "reporting": "reporting-test-pw"}
JOB = "rebuild_warehouse"  # everything but the charts, which these tests do not look at
SERVED_PLACES = {"KAZ", "DEU", "CZE", "EU28"}  # a few places, EU28 for a conflict between sources
TERMINAL = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def _postgres_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway server on 127.0.0.1."""

    port: int
    superuser: str = "postgres"

    def url(self, database: str, user: str, password: str) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", user: str | None = None, password: str | None = None):
        user = user or self.superuser
        return psycopg.connect(self.url(database, user, password or PASSWORDS["dagster"]), autocommit=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """initdb + pg_ctl on a temporary directory, as the `postgres` user when run as root; stopped at the end."""
    bindir = _postgres_bindir()
    if bindir is None:
        message = "PostgreSQL server binaries not found: apt-get install postgresql (.ci/run does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    base = Path(tempfile.mkdtemp(prefix="enforcement-pg-"))
    data, log = base / "data", base / "server.log"
    (base / "pw").write_text(PASSWORDS["dagster"], encoding="utf-8")
    if as_postgres:
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(base / "pw", "postgres", "postgres")
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    pg_ctl = [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data)]
    try:
        initdb = subprocess.run(
            [*as_postgres, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=scram-sha-256",
             f"--pwfile={base / 'pw'}", "--no-sync", "--encoding=UTF8", "--locale=C"],
            capture_output=True, text=True,
        )  # fmt: skip
        assert initdb.returncode == 0, initdb.stderr
        subprocess.run([*pg_ctl, "-l", str(log), "-o", options, "-w", "-t", "60", "start"], check=True)
        yield PostgresServer(port)
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class Team:
    """The team instance's home and environment, the publication target and the reporting login."""

    server: PostgresServer
    home: Path
    env: dict[str, str]
    target: PublishTarget

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.home))

    def reporting(self) -> psycopg.Connection:
        return self.server.connect("warehouse", "reporting", PASSWORDS["reporting"])


@pytest.fixture(scope="module")
def team(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    """deploy/dagster.yaml as shipped, with its environment; roles and database made by deploy/postgres/init.sh."""
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    with postgres.connect() as con:
        con.execute(sql.SQL("CREATE ROLE dagster LOGIN PASSWORD {}").format(PASSWORDS["dagster"]))
        con.execute("CREATE DATABASE dagster OWNER dagster")
    connection = {"PGHOST": "127.0.0.1", "PGPORT": str(postgres.port), "PGPASSWORD": PASSWORDS["dagster"]}
    subprocess.run(
        ["bash", str(DEPLOY / "postgres" / "init.sh")],
        env={**os.environ, **connection, "POSTGRES_USER": "postgres", "POSTGRES_DB": "postgres",
             "ENFORCEMENT_PUBLISHER_PASSWORD": PASSWORDS["publisher"],
             "ENFORCEMENT_REPORTING_PASSWORD": PASSWORDS["reporting"]},
        check=True, capture_output=True,
    )  # fmt: skip
    target = PublishTarget(postgres.url("warehouse", "enforcement_publisher", PASSWORDS["publisher"]))
    env = {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(postgres.port),
        "DAGSTER_PG_DB": "dagster",
        "DAGSTER_PG_USERNAME": "dagster",
        "DAGSTER_PG_PASSWORD": PASSWORDS["dagster"],
        "ENFORCEMENT_PUBLISH_URL": target.url,
        "GX_ANALYTICS_ENABLED": "false",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        yield Team(postgres, home, env, target)


@pytest.fixture(scope="module")
def team_run(team: Team, tmp_path_factory: pytest.TempPathFactory) -> tuple[Layout, str]:
    """The whole default job materialised once on the team instance, publishing to PostgreSQL (the sources cut
    to the places the served project keeps: every table still has rows to compare)."""
    layout = copy_sources(tmp_path_factory.mktemp("team_run"))
    keep_places(layout, SERVED_PLACES)
    with team.instance() as instance:
        result = build_definitions(layout).resolve_job_def(JOB).execute_in_process(instance=instance)
    assert result.success, failure_text(result)
    return layout, result.run_id


def test_team_instance_is_postgres_with_a_queue_pools_and_retries(team: Team):
    with team.instance() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2


def test_a_full_run_keeps_its_record_and_events_in_postgres(team: Team, team_run: tuple[Layout, str]):
    _, run_id = team_run
    with team.server.connect("dagster", "dagster") as con:
        (status,) = con.execute("SELECT status FROM runs WHERE run_id = %s", [run_id]).fetchone()
        materialised = {
            key
            for (key,) in con.execute(
                "SELECT asset_key FROM event_logs WHERE run_id = %s AND dagster_event_type = 'ASSET_MATERIALIZATION'",
                [run_id],
            )
        }
    assert status == "SUCCESS"
    assert {dg.AssetKey("observations").to_string(), PUBLISH_KEY.to_string()} <= materialised
    with team.instance() as reopened:  # a new process sees the same history
        assert reopened.get_run_by_id(run_id).status == dg.DagsterRunStatus.SUCCESS
        assert reopened.get_latest_materialization_event(PUBLISH_KEY).run_id == run_id


def _rows(cursor) -> list[tuple]:
    rows = [tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in cursor.fetchall()]
    return sorted(rows, key=repr)


def test_published_tables_match_the_warehouse_row_for_row(team: Team, team_run: tuple[Layout, str]):
    layout, _ = team_run
    with duckdb.connect(str(layout.warehouse_path), read_only=True) as warehouse, team.reporting() as pg:
        for table in PUBLISHED_TABLES:
            expected = _rows(warehouse.execute(f"SELECT * FROM {table}"))
            published = _rows(pg.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier("enforcement", table))))
            assert published == expected, table
            # rejected_rows is empty when every source is clean, as the shipped ones are
            assert expected or table == "rejected_rows", f"{table} is empty: the comparison would prove nothing"
        leftovers = pg.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'enforcement%'").fetchall()
        assert leftovers == [("enforcement",)]


def test_reporting_role_reads_and_cannot_write(team: Team, team_run: tuple[Layout, str]):
    with team.reporting() as pg:
        assert pg.execute("SELECT count(*) FROM enforcement.observations").fetchone()[0] > 0
        with pytest.raises(errors.ReadOnlySqlTransaction):
            pg.execute("DELETE FROM enforcement.observations")
        pg.execute("SET default_transaction_read_only = off")  # the grants alone must still refuse writes
        for statement in (
            "INSERT INTO enforcement.units (unit) VALUES ('forged')",
            "UPDATE enforcement.observations SET value = 0",
            "DELETE FROM enforcement.comparisons",
            "TRUNCATE enforcement.sources",
            "DROP TABLE enforcement.measures",
            "CREATE TABLE enforcement.notes (x int)",
            "CREATE TABLE public.notes (x int)",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                pg.execute(statement)


def test_a_reader_keeps_its_tables_while_a_publication_waits(team: Team, team_run: tuple[Layout, str]):
    layout, _ = team_run
    reader = psycopg.connect(team.server.url("warehouse", "reporting", PASSWORDS["reporting"]))  # a transaction
    try:
        before = reader.execute("SELECT count(*), max(figure_id) FROM enforcement.observations").fetchone()
        with pytest.raises(errors.LockNotAvailable):
            publish_warehouse(layout.warehouse_path, team.target, lock_timeout="1s")
        assert reader.execute("SELECT count(*), max(figure_id) FROM enforcement.observations").fetchone() == before
        reader.commit()
        publish_warehouse(layout.warehouse_path, team.target, lock_timeout="1s")
        assert reader.execute("SELECT count(*), max(figure_id) FROM enforcement.observations").fetchone() == before
    finally:
        reader.close()


TYPED_COLUMNS = {
    "flag": "BOOLEAN",
    "n": "INTEGER",
    "big": "HUGEINT",
    "amount": "DECIMAL(18,3)",
    "stamped": "TIMESTAMP",
    "stamped_tz": "TIMESTAMPTZ",
    "span": "INTERVAL",
    "id": "UUID",
    "raw": "BLOB",
    "nums": "INTEGER[]",
}


def test_other_column_types_publish_value_for_value(team: Team, team_run: tuple[Layout, str], tmp_path):
    """Columns other pieces may add (counts, money, timestamps, lists) keep their values; nested ones become jsonb."""
    layout, _ = team_run
    typed = tmp_path / "typed.duckdb"
    shutil.copy(layout.warehouse_path, typed)
    with duckdb.connect(str(typed)) as con:
        for name, kind in {**TYPED_COLUMNS, "nested": "STRUCT(a INTEGER, b VARCHAR)"}.items():
            con.execute(f"ALTER TABLE units ADD COLUMN {name} {kind}")
        con.execute(
            "UPDATE units SET flag = unit < 'm', n = length(unit), big = 170141183460469231731687303715884105727, "
            "amount = 1234.5, stamped = TIMESTAMP '2008-12-31 23:59:59', "
            "stamped_tz = TIMESTAMPTZ '2008-12-31 10:00:00+06', span = INTERVAL 3 DAY, id = uuid(), "
            "raw = encode(unit), nums = [1, NULL, 3], nested = {'a': 1, 'b': unit}"
        )
        con.execute("UPDATE units SET flag = NULL, nums = NULL WHERE unit = (SELECT min(unit) FROM units)")
        columns = ", ".join(["unit", *TYPED_COLUMNS])
        expected = _rows(con.execute(f"SELECT {columns} FROM units"))
        nested = _rows(con.execute("SELECT unit, nested FROM units"))
    target = PublishTarget(team.target.url, schema="typed")
    counts = publish_warehouse(typed, target)
    with team.reporting() as pg:
        assert _rows(pg.execute(f"SELECT {columns} FROM typed.units")) == expected
        assert _rows(pg.execute("SELECT unit, nested FROM typed.units")) == nested
        assert pg.execute("SELECT count(*) FROM typed.units").fetchone()[0] == counts["units"] == len(expected)


def test_a_failed_publish_leaves_the_last_publication_whole(team: Team, team_run: tuple[Layout, str], tmp_path):
    layout, _ = team_run
    broken = tmp_path / "broken.duckdb"
    shutil.copy(layout.warehouse_path, broken)
    with duckdb.connect(str(broken)) as con:
        con.execute("DELETE FROM observations WHERE jurisdiction <> 'KAZ'")
        con.execute("DROP TABLE sources")  # four tables copy, then the fifth is missing
    with team.reporting() as pg:
        before = {t: pg.execute(f"SELECT count(*) FROM enforcement.{t}").fetchone()[0] for t in PUBLISHED_TABLES}
    with pytest.raises(PublishError, match="no table sources"):
        publish_warehouse(broken, team.target)
    with team.reporting() as pg:
        after = {t: pg.execute(f"SELECT count(*) FROM enforcement.{t}").fetchone()[0] for t in PUBLISHED_TABLES}
        schemas = pg.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'enforcement%'").fetchall()
    assert after == before
    assert schemas == [("enforcement",)]


# --- The services of deploy/compose.yaml, run as local processes: code server, webserver, daemon. -----------


def _start(command: list[str], env: dict[str, str], log: Path, cwd: Path = REPO) -> subprocess.Popen:
    handle = log.open("ab")
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM, grace: float = 30) -> None:
    """Signal the process group; kill it if it has not exited after `grace` seconds."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _wait(condition, what: str, timeout: float = 240, logs: tuple[Path, ...] = ()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.25)
    tails = "\n".join(f"--- {log}\n{log.read_text(errors='replace')[-3000:]}" for log in logs if log.exists())
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{tails}")


@dataclass
class Services:
    env: dict[str, str]
    logs: Path
    webserver_port: int
    layout: Layout

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.webserver_port}"

    def daemon(self) -> subprocess.Popen:
        bin_dir = Path(sys.executable).parent
        return _start([str(bin_dir / "dagster-daemon"), "run", "-w", str(DEPLOY / "workspace.yaml")],
                      self.env, self.logs / "daemon.log")  # fmt: skip

    def graphql(self):
        from dagster_graphql import DagsterGraphQLClient

        return DagsterGraphQLClient("127.0.0.1", port_number=self.webserver_port, timeout=60)


def compose_command(service: str) -> list[str]:
    """A service's command from deploy/compose.yaml, with every address bound to loopback."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return ["127.0.0.1" if part == "0.0.0.0" else part for part in compose["services"][service]["command"]]


def _grpc_serving(port: int) -> bool:
    from dagster._grpc.client import DagsterGrpcClient

    try:
        return DagsterGrpcClient(port=port, host="127.0.0.1").ping("up") is not None
    except Exception:
        return False


@pytest.fixture(scope="module")
def services(team: Team, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """The code server (compose's command) and the webserver on the team instance, as in deploy/compose.yaml.

    Every source, asset and job of the shipped project, with the sheet and the Eurostat snapshots cut to a few
    places (EU28 for a conflict): the daemon's runs then take seconds while the queue, pools and restarts are
    exercised just the same."""
    layout = copy_sources(tmp_path_factory.mktemp("served"))
    keep_places(layout, SERVED_PLACES)
    logs = tmp_path_factory.mktemp("service_logs")
    code_port, web_port = _free_port(), _free_port()
    env = {
        **os.environ,
        **team.env,
        "ENFORCEMENT_ROOT": str(layout.root),
        "ENFORCEMENT_PUBLISH_SCHEMA": "enforcement_served",
        "DAGSTER_CODE_SERVER_HOST": "127.0.0.1",
        "DAGSTER_CODE_SERVER_PORT": str(code_port),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    code_command = compose_command("code-server")
    code_command[code_command.index("-p") + 1] = str(code_port)
    web_command = compose_command("webserver")
    web_command[web_command.index("-p") + 1] = str(web_port)
    setup = subprocess.run(compose_command("instance-setup"), env=env, capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr
    started = []
    try:
        started.append(_start(code_command, env, logs / "code_server.log"))
        _wait(lambda: _grpc_serving(code_port), "the code server", logs=(logs / "code_server.log",))
        started.append(_start(web_command, env, logs / "webserver.log"))
        served = Services(env, logs, web_port, layout)
        _wait(lambda: _location_loaded(served), "the webserver", logs=(logs / "webserver.log",))
        # The tests here are about the queue, the pools and restarts. The automation sensor would start runs of
        # their own for the charts the job leaves stale (tests/test_automation.py covers it): it is switched off.
        set_sensor(served.url, "update_downstream_assets", running=False)
        yield served
    finally:
        for process in reversed(started):
            _stop(process, grace=5)


def _location_loaded(services: Services) -> bool:
    query = (
        "{ repositoriesOrError { ... on RepositoryConnection { nodes { location { name } "
        "jobs { name } assetNodes { assetKey { path } } } } } }"
    )
    try:
        nodes = graphql(services.url, query)["repositoriesOrError"]["nodes"]
    except (OSError, KeyError, TypeError, AssertionError):  # not answering yet, or the location still loading
        return False
    return any(
        node["location"]["name"] == "enforcement"
        and JOB in {job["name"] for job in node["jobs"]}
        and PUBLISH_KEY.path in [asset["assetKey"]["path"] for asset in node["assetNodes"]]
        for node in nodes
    )


def _submit_at_once(services: Services, count: int) -> list[str]:
    run_ids: list[str] = []
    lock = threading.Lock()

    def submit():
        run_id = services.graphql().submit_job_execution(JOB, repository_location_name="enforcement")
        with lock:
            run_ids.append(run_id)

    threads = [threading.Thread(target=submit) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(run_ids) == count
    return run_ids


def _statuses(instance: dg.DagsterInstance, run_ids: list[str]) -> dict[str, dg.DagsterRunStatus]:
    """The runs' statuses in one query: polled four times a second while runs take minutes on a slow machine,
    a query per run cost 21 ms of CPU a poll (3.5 ms this way), taken from the runs being waited for."""
    return {run.run_id: run.status for run in instance.get_runs(dg.RunsFilter(run_ids=run_ids))}


def _interval(instance: dg.DagsterInstance, run_id: str, start, end, step_key: str | None = None):
    def stamp(event_type) -> float:
        (entry,) = [e for e in instance.all_logs(run_id, of_type=event_type) if e.step_key == step_key]
        return entry.timestamp

    return stamp(start), stamp(end)


@dataclass
class QueueRecord:
    """What happened to runs submitted at once while the daemon was killed and started again."""

    run_ids: list[str]
    enqueued: list[str]
    started_first: list[str]
    waiting_after_first: dict[str, dg.DagsterRunStatus]
    finished: dict[str, dg.DagsterRunStatus]
    left_unfinished: list[dg.DagsterRun]
    writers: list[tuple[float, float]]
    runs: list[tuple[float, float]]


@pytest.fixture(scope="module")
def queue_record(team: Team, services: Services) -> QueueRecord:
    """Three runs of the job submitted at once under the daemon. While the first runs, the daemon is SIGKILLed;
    once that run has finished, the daemon starts again and runs the other two from the queue, one at a time."""
    logs = (services.logs / "daemon.log", services.logs / "code_server.log")
    daemon = services.daemon()
    try:
        with team.instance() as instance:
            run_ids = _submit_at_once(services, 3)
            enqueued = [r for r in run_ids if instance.all_logs(r, of_type=dg.DagsterEventType.RUN_ENQUEUED)]
            running = _wait(
                lambda: [r for r, s in _statuses(instance, run_ids).items() if s == dg.DagsterRunStatus.STARTED],
                "a run to start",
                logs=logs,
            )
            _stop(daemon, signal.SIGKILL)
            # The run worker does not belong to the daemon: the started run finishes; the others wait in the queue.
            _wait(
                lambda: all(_statuses(instance, running)[r] in TERMINAL for r in running), "the started run", logs=logs
            )
            time.sleep(2)
            waiting = _statuses(instance, [r for r in run_ids if r not in running])
            daemon = services.daemon()
            _wait(lambda: set(_statuses(instance, run_ids).values()) <= TERMINAL, "the queued runs", logs=logs)
            not_finished = [status for status in dg.DagsterRunStatus if status not in TERMINAL]
            finished = _statuses(instance, run_ids)
            succeeded = [r for r in run_ids if finished[r] == dg.DagsterRunStatus.SUCCESS]
            event = dg.DagsterEventType
            return QueueRecord(
                run_ids=run_ids,
                enqueued=enqueued,
                started_first=running,
                waiting_after_first=waiting,
                finished=finished,
                left_unfinished=list(instance.get_runs(dg.RunsFilter(statuses=not_finished))),
                writers=sorted(
                    _interval(instance, r, event.STEP_START, event.STEP_SUCCESS, "warehouse") for r in succeeded
                ),
                runs=sorted(_interval(instance, r, event.RUN_START, event.RUN_SUCCESS) for r in succeeded),
            )
    finally:
        _stop(daemon, grace=5)  # what it does on SIGTERM is not under test here


def test_runs_submitted_at_once_queue_and_never_write_the_warehouse_together(team: Team, queue_record: QueueRecord):
    assert queue_record.enqueued == queue_record.run_ids, "not queued"
    assert set(queue_record.finished.values()) == {dg.DagsterRunStatus.SUCCESS}
    for earlier, later in pairwise(queue_record.writers):
        assert earlier[1] <= later[0], f"warehouse writers overlapped: {queue_record.writers}"
    # The global limit (4) would let the last two run at once under the restarted daemon: the pool of the
    # warehouse writers kept the third queued.
    for earlier, later in pairwise(queue_record.runs):
        assert earlier[1] <= later[0], f"runs overlapped: {queue_record.runs}"
    with team.server.connect("warehouse", "reporting", PASSWORDS["reporting"]) as pg:
        assert pg.execute("SELECT count(*) FROM enforcement_served.observations").fetchone()[0] > 0


def test_killing_the_daemon_mid_run_loses_no_run(queue_record: QueueRecord):
    (first,) = queue_record.started_first
    assert queue_record.finished[first] == dg.DagsterRunStatus.SUCCESS
    assert queue_record.waiting_after_first == dict.fromkeys(
        set(queue_record.run_ids) - {first}, dg.DagsterRunStatus.QUEUED
    )
    assert queue_record.finished == dict.fromkeys(queue_record.run_ids, dg.DagsterRunStatus.SUCCESS)
    assert not queue_record.left_unfinished
