"""Failure alerts: real failed runs and checks on a real instance, sent to a real SMTP and HTTP server on 127.0.0.1."""

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest
from aiosmtpd.controller import Controller
from dagster._core.events import DagsterEventType

from conftest import copy_sources
from pipelines.alerts import AlertSettings, alert_sensors
from pipelines.definitions import build_definitions
from pipelines.layout import Layout


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def webhook_server() -> Iterator[tuple[list, str]]:
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, f"http://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def configured(monkeypatch, smtp_server, webhook_server):
    """Alerts configured through the environment, as an analyst's `.env` would."""
    inbox, smtp_port = smtp_server
    received, url = webhook_server
    for name, value in {
        "ALERT_EMAIL_TO": "analyst@example.org, editor@example.org",
        "ALERT_EMAIL_FROM": "pipeline@example.org",
        "ALERT_SMTP_HOST": "127.0.0.1",
        "ALERT_SMTP_PORT": str(smtp_port),
        "ALERT_SMTP_SECURITY": "none",
        "ALERT_WEBHOOK_URL": url,
        "ENFORCEMENT_UI_URL": "http://127.0.0.1:3999",
    }.items():
        monkeypatch.setenv(name, value)
    return inbox, received


def sensor_named(layout: Layout, name: str):
    return next(sensor for sensor in alert_sensors(layout) if sensor.name == name)


def ended_run_context(instance: dg.DagsterInstance, run_id: str, event_type: DagsterEventType, sensor: str):
    """The context the daemon gives a run status sensor for the run's end event."""
    run = instance.get_run_by_id(run_id)
    event = instance.all_logs(run_id, of_type=event_type)[-1].dagster_event
    return dg.build_run_status_sensor_context(
        sensor_name=sensor, dagster_event=event, dagster_instance=instance, dagster_run=run
    )


def alert_files(layout: Layout) -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(layout.alerts_dir.glob("*.json"))]


def test_a_failed_run_is_recorded_logged_mailed_and_posted(tmp_path, configured):
    inbox, posted = configured
    layout = copy_sources(tmp_path)
    sheet = layout.figures_dir / "enforcement_figures.csv"
    lines = sheet.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",136000,", ",136 000,")
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with dg.instance_for_test() as instance:
        job = build_definitions(layout).resolve_job_def("rebuild_everything")
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        context = ended_run_context(instance, result.run_id, DagsterEventType.RUN_FAILURE, "alert_on_run_failure")
        sensor_named(layout, "alert_on_run_failure")(context.for_run_failure())
        run_log = [entry.message for entry in instance.all_logs(result.run_id) if "ALERT" in (entry.message or "")]

    records = {record["kind"]: record for record in alert_files(layout)}
    assert sorted(records) == ["check_failure", "run_failure"]  # the run, and the blocking check that stopped it
    record = records["run_failure"]
    assert record["job"] == "rebuild_everything"
    assert "row 2" in record["message"] and "136 000" in record["message"]
    assert record["link"] == f"http://127.0.0.1:3999/runs/{result.run_id}"
    assert record["delivery"] == {"email": "sent", "webhook": "sent"}
    check = records["check_failure"]
    assert check["asset"] == "staging/figures_enforcement_figures" and "136 000" in check["message"]
    assert [line.split(": recorded in")[0] for line in run_log] == [
        "ALERT run failed: rebuild_everything",
        "ALERT check failed (ERROR): staging/figures_enforcement_figures / cells_readable",
    ]

    mails = {mail["Subject"]: (recipients, mail) for recipients, mail in inbox.messages}
    recipients, mail = mails["[enforcement pipeline] run failed: rebuild_everything"]
    assert len(mails) == 2
    assert recipients == ["analyst@example.org", "editor@example.org"]
    assert "136 000" in mail.get_payload() and result.run_id in mail.get_payload()
    hook = next(hook for hook in posted if hook["text"].startswith("run failed"))
    assert hook["run_id"] == result.run_id and len(posted) == 2


@dg.asset
def tally() -> int:
    return 3


@dg.asset_check(asset=tally, description="The tally must be even.")
def tally_is_even() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, metadata={"tally": 3, "expected": "an even number"})


@dg.asset_check(asset=tally)
def tally_is_positive() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def test_a_failed_check_in_a_successful_run_is_alerted(tmp_path, configured):
    inbox, posted = configured
    layout = Layout(tmp_path)
    with dg.instance_for_test() as instance:
        result = dg.materialize([tally, tally_is_even, tally_is_positive], instance=instance)
        assert result.success
        context = ended_run_context(instance, result.run_id, DagsterEventType.RUN_SUCCESS, "alert_on_check_failure")
        sensor_named(layout, "alert_on_check_failure")(context)
        run_log = [entry.message for entry in instance.all_logs(result.run_id) if "ALERT" in (entry.message or "")]

    print(alert_files(layout))
    [record] = alert_files(layout)
    assert record["kind"] == "check_failure"
    assert (record["asset"], record["check"], record["severity"]) == ("tally", "tally_is_even", "ERROR")
    assert "an even number" in record["message"]
    assert record["link"] == "http://127.0.0.1:3999/assets/tally?view=checks"
    assert len(run_log) == 1 and "tally / tally_is_even" in run_log[0]
    assert [mail["Subject"] for _, mail in inbox.messages] == [
        "[enforcement pipeline] check failed (ERROR): tally / tally_is_even"
    ]
    assert [hook["check"] for hook in posted] == ["tally_is_even"]


def test_an_unreachable_webhook_still_leaves_the_alert_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("ALERT_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/hook")
    layout = Layout(tmp_path)
    with dg.instance_for_test() as instance:
        result = dg.materialize([tally, tally_is_even], instance=instance)
        context = ended_run_context(instance, result.run_id, DagsterEventType.RUN_SUCCESS, "alert_on_check_failure")
        sensor_named(layout, "alert_on_check_failure")(context)
    print(alert_files(layout))
    [record] = alert_files(layout)
    assert record["check"] == "tally_is_even"
    assert record["delivery"]["webhook"].startswith("failed: URLError")


def test_nothing_is_sent_unless_configured(tmp_path, monkeypatch):
    for name in ("ALERT_EMAIL_TO", "ALERT_SMTP_HOST", "ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    layout = Layout(tmp_path)
    with dg.instance_for_test() as instance:
        result = dg.materialize([tally, tally_is_even], instance=instance)
        context = ended_run_context(instance, result.run_id, DagsterEventType.RUN_SUCCESS, "alert_on_check_failure")
        sensor_named(layout, "alert_on_check_failure")(context)
    print(alert_files(layout))
    [record] = alert_files(layout)
    assert record["delivery"] == {}


@pytest.mark.parametrize(
    ("env", "named"),
    [({"ALERT_SMTP_SECURITY": "plain"}, "ALERT_SMTP_SECURITY"), ({"ALERT_WEBHOOK_URL": "file:///etc/passwd"}, "file")],
)
def test_bad_settings_are_refused_by_name(env, named):
    with pytest.raises(ValueError, match=named):
        AlertSettings.from_environment(env)
