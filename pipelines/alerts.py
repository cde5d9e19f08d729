"""Failure alerts: a failed run or a failed check is written to the run's log and to
`data/curated/alerts/`, and sent by email and/or to a webhook when the environment configures them.

Settings (environment variables, e.g. in a git-ignored `.env` beside `pyproject.toml`; never in the repo):
`ALERT_EMAIL_TO` (comma-separated), `ALERT_EMAIL_FROM`, `ALERT_SMTP_HOST`, `ALERT_SMTP_PORT` (587),
`ALERT_SMTP_SECURITY` (`starttls`, `ssl` or `none`; default `starttls`), `ALERT_SMTP_USER`,
`ALERT_SMTP_PASSWORD`; `ALERT_WEBHOOK_URL` (receives a JSON POST with a `text` field, as Slack and
Mattermost incoming webhooks expect); `ENFORCEMENT_UI_URL` (the UI address used in links).
"""

import json
import os
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEventType, EngineEventData

from pipelines.files import replaced_on_success
from pipelines.layout import Layout

TIMEOUT_SECONDS = 10
DEFAULT_UI_URL = "http://127.0.0.1:3000"
MESSAGE_CHARS = 4000


@dataclass(frozen=True)
class Alert:
    """One thing that went wrong, as an analyst reads it."""

    kind: str  # "run_failure" or "check_failure"
    title: str
    message: str
    run_id: str
    job: str
    severity: str
    link: str
    asset: str | None = None
    check: str | None = None
    at: str = ""

    def as_text(self) -> str:
        lines = [self.title, "", self.message.strip(), "", f"Run: {self.run_id} (job {self.job})", f"Open: {self.link}"]
        return "\n".join(lines)


@dataclass(frozen=True)
class AlertSettings:
    """Where alerts are sent besides the alerts folder; empty fields mean "not configured"."""

    email_to: tuple[str, ...] = ()
    email_from: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    webhook_url: str = ""
    ui_url: str = DEFAULT_UI_URL

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> "AlertSettings":
        security = env.get("ALERT_SMTP_SECURITY", "starttls").lower()
        if security not in ("starttls", "ssl", "none"):
            raise ValueError(f"ALERT_SMTP_SECURITY={security!r}: expected starttls, ssl or none")
        webhook = env.get("ALERT_WEBHOOK_URL", "")
        if webhook and urllib.parse.urlsplit(webhook).scheme not in ("http", "https"):
            raise ValueError(f"ALERT_WEBHOOK_URL={webhook!r}: expected an http(s) URL")
        return cls(
            email_to=tuple(a.strip() for a in env.get("ALERT_EMAIL_TO", "").split(",") if a.strip()),
            email_from=env.get("ALERT_EMAIL_FROM", "enforcement-pipeline@localhost"),
            smtp_host=env.get("ALERT_SMTP_HOST", ""),
            smtp_port=int(env.get("ALERT_SMTP_PORT", "587")),
            smtp_security=security,
            smtp_user=env.get("ALERT_SMTP_USER", ""),
            smtp_password=env.get("ALERT_SMTP_PASSWORD", ""),
            webhook_url=webhook,
            ui_url=env.get("ENFORCEMENT_UI_URL", DEFAULT_UI_URL).rstrip("/"),
        )


def send_email(alert: Alert, settings: AlertSettings) -> None:
    """Send the alert by SMTP (STARTTLS unless told otherwise), giving up after TIMEOUT_SECONDS."""
    message = EmailMessage()
    message["Subject"] = f"[enforcement pipeline] {alert.title}"
    message["From"] = settings.email_from
    message["To"] = ", ".join(settings.email_to)
    message.set_content(alert.as_text())
    if settings.smtp_security == "ssl":
        connection = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
    else:
        connection = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
    with connection as smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)


def post_webhook(alert: Alert, settings: AlertSettings) -> None:
    """POST the alert as JSON (with a `text` field) to the webhook, giving up after TIMEOUT_SECONDS."""
    body = json.dumps({"text": alert.as_text(), **asdict(alert)}).encode("utf-8")
    request = urllib.request.Request(
        settings.webhook_url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        response.read(1024)


def deliver(alert: Alert, layout: Layout, settings: AlertSettings, log) -> Path:
    """Write the alert to `data/curated/alerts/` first, then send it where configured and record how that went."""
    stamp = alert.at.replace(":", "").replace("-", "")
    check = f"-{alert.check}" if alert.check else ""
    path = layout.alerts_dir / f"{stamp}-{alert.kind}-{alert.run_id[:8]}{check}.json"
    _write_record(path, alert, {})
    outcome = {}
    if settings.email_to and settings.smtp_host:
        outcome["email"] = _attempt(send_email, alert, settings)
    if settings.webhook_url:
        outcome["webhook"] = _attempt(post_webhook, alert, settings)
    for channel, result in outcome.items():
        (log.info if result == "sent" else log.warning)(f"alert by {channel}: {result}")
    if outcome:
        _write_record(path, alert, outcome)
    return path


def _write_record(path: Path, alert: Alert, delivery: dict[str, str]) -> None:
    with replaced_on_success(path) as temporary:
        record = {**asdict(alert), "delivery": delivery}
        temporary.write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")


def _attempt(send, alert: Alert, settings: AlertSettings) -> str:
    try:
        send(alert, settings)
    except (OSError, smtplib.SMTPException, urllib.error.URLError) as error:
        return f"failed: {type(error).__name__}: {error}"
    return "sent"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_to_run_log(instance: dg.DagsterInstance, run: dg.DagsterRun, alert: Alert, path: Path, layout: Layout):
    instance.report_engine_event(
        f"ALERT {alert.title}: recorded in {layout.relative(path)}",
        dagster_run=run,
        engine_event_data=EngineEventData(metadata={"alert": dg.MetadataValue.json(json.loads(path.read_text()))}),
    )


def run_failure_alert(context: dg.RunFailureSensorContext, settings: AlertSettings) -> Alert:
    """The alert for a failed run: which job, which steps, and their error messages."""
    run = context.dagster_run
    steps = [
        f"[{event.step_key}] {describe_step_failure(event)}"
        for event in context.get_step_failure_events()
        if event.step_failure_data is not None
    ]
    message = "\n".join(steps) or (context.failure_event.message or "the run failed")
    return Alert(
        kind="run_failure",
        title=f"run failed: {run.job_name}",
        message=message[:MESSAGE_CHARS],
        run_id=run.run_id,
        job=run.job_name,
        severity="ERROR",
        link=f"{settings.ui_url}/runs/{run.run_id}",
        at=_now(),
    )


def describe_step_failure(event: dg.DagsterEvent) -> str:
    """What a failed step says went wrong: its Failure description, else the error's cause or message."""
    data = event.step_failure_data
    if data.user_failure_data and data.user_failure_data.description:
        return data.user_failure_data.description.strip()
    error = data.error
    if error and error.cause:
        return error.cause.message.strip()
    return error.message.strip() if error else "failed"


def check_failure_alert(evaluation, run: dg.DagsterRun, settings: AlertSettings) -> Alert:
    """The alert for one failed check evaluation (an `AssetCheckEvaluation` with `passed` false)."""
    asset = evaluation.asset_key.to_user_string()
    shown = {key: value.value for key, value in evaluation.metadata.items()}
    details = evaluation.description or json.dumps(shown, default=str, ensure_ascii=False)
    return Alert(
        kind="check_failure",
        title=f"check failed ({evaluation.severity.value}): {asset} / {evaluation.check_name}",
        message=details[:MESSAGE_CHARS],
        run_id=run.run_id,
        job=run.job_name,
        severity=evaluation.severity.value,
        link=f"{settings.ui_url}/assets/{'/'.join(evaluation.asset_key.path)}?view=checks",
        asset=asset,
        check=evaluation.check_name,
        at=_now(),
    )


def alert_failed_checks(context: dg.RunStatusSensorContext, layout: Layout, settings: AlertSettings) -> int:
    """Alert on every failed check evaluation of the run that just ended; how many there were."""
    run = context.dagster_run
    entries = context.instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    failed = [entry.dagster_event.event_specific_data for entry in entries]
    failed = [evaluation for evaluation in failed if not evaluation.passed]
    for evaluation in failed:
        alert = check_failure_alert(evaluation, run, settings)
        _write_to_run_log(context.instance, run, alert, deliver(alert, layout, settings, context.log), layout)
    return len(failed)


def alert_sensors(layout: Layout) -> list[dg.SensorDefinition]:
    """The run-failure and check-failure sensors; on by default, since they only write and send alerts."""

    @dg.run_failure_sensor(
        name="alert_on_run_failure",
        minimum_interval_seconds=10,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "When a run fails: writes an alert (and one per failed check in it) to the run's log and "
            "data/curated/alerts/, and sends it by email or webhook if configured."
        ),
    )
    def alert_on_run_failure(context: dg.RunFailureSensorContext):
        settings = AlertSettings.from_environment()
        alert = run_failure_alert(context, settings)
        _write_to_run_log(
            context.instance, context.dagster_run, alert, deliver(alert, layout, settings, context.log), layout
        )
        alert_failed_checks(context, layout, settings)

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name="alert_on_check_failure",
        minimum_interval_seconds=10,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "When a run succeeds but some of its checks failed (warnings, non-blocking errors): writes an alert "
            "per failed check to the run's log and data/curated/alerts/, and sends it if configured."
        ),
    )
    def alert_on_check_failure(context: dg.RunStatusSensorContext):
        alert_failed_checks(context, layout, AlertSettings.from_environment())

    return [alert_on_run_failure, alert_on_check_failure]
