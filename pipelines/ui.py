"""`make ui`: the Dagster webserver and daemon on a loopback address, stopped together by Ctrl-C.

`dagster dev` starts the webserver, the daemon (schedules, sensors, run queue) and one code server. It runs
here in a session of its own so that stopping is in one place: on Ctrl-C (or SIGTERM, or the terminal
closing) it is asked to stop its services, and whatever is still alive after STOP_SECONDS is killed.
"""

import contextlib
import ipaddress
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

READY_SECONDS = 300
STOP_SECONDS = 30
QUIET = "ignore:Function `dev_command` is superseded"  # `dg dev` would need another package for the same thing


class Stop(Exception):
    """Raised in the launcher by the signals that mean "stop the UI"."""


def loopback(host: str) -> str:
    """`host` if it is a loopback address; the UI has no login, so it must never face a network."""
    try:
        is_loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        is_loopback = host == "localhost"
    if not is_loopback:
        raise SystemExit(
            f"Refusing to serve the UI on {host}: it has no login. Use 127.0.0.1 and reach it from another "
            "machine through an SSH tunnel (see README, 'The Dagster UI')."
        )
    return host


def answers(url: str) -> bool:
    """Whether the webserver at `url` answers `/server_info`."""
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _raise_stop(signum: int, _frame) -> None:
    raise Stop(signal.Signals(signum).name)


def stop(process: subprocess.Popen) -> None:
    """Ask `dagster dev` to stop its services; kill its whole process group if it has not after STOP_SECONDS."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown short
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            print(f"dagster dev did not stop within {STOP_SECONDS} s: killing it", file=sys.stderr)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # anything of the group still alive (normally nothing)
    process.wait()


def serve(host: str, port: int) -> int:
    """Run the UI until interrupted; print its address once it answers."""
    if not os.environ.get("DAGSTER_HOME"):
        raise SystemExit("DAGSTER_HOME is not set: start the UI with `make ui` (it uses .dagster/ in the checkout)")
    url = f"http://{loopback(host)}:{port}"
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)  # also gives the child default handlers if a shell ignored SIGINT
    command = [
        sys.executable,
        "-W",
        QUIET,
        "-m",
        "dagster",
        "dev",
        "-m",
        "pipelines.definitions",
        "-h",
        host,
        "-p",
        str(port),
    ]
    started = time.monotonic()
    process = subprocess.Popen(command, env={**os.environ, "ENFORCEMENT_UI_URL": url}, start_new_session=True)
    try:
        while not answers(url):
            if process.poll() is not None:
                print(f"dagster dev exited with code {process.returncode} before the UI answered", file=sys.stderr)
                return process.returncode or 1
            if time.monotonic() - started > READY_SECONDS:
                print(f"the UI did not answer within {READY_SECONDS} s", file=sys.stderr)
                return 1
            time.sleep(0.25)
        print(f"\nDagster UI: {url}  (ready in {time.monotonic() - started:.1f} s; Ctrl-C stops it)\n", flush=True)
        return process.wait()
    except Stop as reason:
        print(f"\nStopping the Dagster UI ({reason}) ...", file=sys.stderr, flush=True)
        return 0
    finally:
        stop(process)
