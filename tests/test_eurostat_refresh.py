"""Refreshing a Eurostat dataset from a loopback server: success, unchanged content, and every fault.

After each fault the previous snapshot and the last good warehouse must be exactly as they were.
"""

import hashlib

import pytest
from eurostat_server import FIXTURES, Answer, EurostatStub
from test_eurostat import query, run

from conftest import failure_text
from pipelines.eurostat import client

DATASET = "migr_eipre"
SOURCE = f"eurostat_{DATASET}"
RECORDED = (FIXTURES / "migr_eipre_DE_EL_FR_2021_2022.json").read_bytes()
INVALID_JSONSTAT = b'{"version": "2.0", "class": "dataset", "value": {"0": 1}}'


@pytest.fixture
def network(monkeypatch):
    """A loopback stub as the API, with short timeouts and quick retries."""
    monkeypatch.setenv("EUROSTAT_RETRIES", "1")
    monkeypatch.setenv("EUROSTAT_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("EUROSTAT_READ_TIMEOUT", "0.5")
    monkeypatch.setenv("EUROSTAT_CONNECT_TIMEOUT", "2")
    with EurostatStub() as stub:
        monkeypatch.setenv(client.API_BASE_ENV, stub.base)
        yield stub


def state(layout) -> dict[str, str]:
    """Every file in the dataset's snapshot folder and the warehouse, by sha256."""
    files = [*sorted((layout.raw_dir / "eurostat" / DATASET).iterdir()), layout.warehouse_path]
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


FAULTS = {
    "404": ([Answer(404, b'{"error": {"status": 404, "label": "not found"}}')], "HTTP 404"),
    "500": ([Answer(500, b"internal error")], "HTTP 500"),
    "timeout": ([Answer(body=RECORDED, delay=1.5)], "timed out"),
    "truncated body": ([Answer(body=RECORDED[:200], announce_extra=len(RECORDED) - 200)], "cut short"),
    "wrong content type": (
        [Answer(body=b"<html>maintenance</html>", content_type="text/html")],
        "content type 'text/html'",
    ),
    "invalid JSON-stat": ([Answer(body=INVALID_JSONSTAT)], "invalid JSON-stat 2.0: 'id', 'size'"),
    "not JSON": ([Answer(body=b'{"version": "2.0", "class": ')], "invalid JSON-stat 2.0: not valid JSON"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_keeps_the_previous_snapshot_and_warehouse(built_copy, network, fault):
    answers, message = FAULTS[fault]
    network.script(DATASET, *answers)
    before = state(built_copy)
    result = run(built_copy, SOURCE, download=True)
    assert not result.success
    text = failure_text(result)
    assert (
        message in text and "refresh failed" in text and "Snapshot still in use: data/raw/eurostat/migr_eipre/" in text
    )
    assert state(built_copy) == before
    assert network.requests, "the stub was asked"


def test_too_large_a_response_is_refused(built_copy, network, monkeypatch):
    monkeypatch.setenv("EUROSTAT_MAX_BYTES", "100")
    network.script(DATASET, Answer(body=RECORDED))
    before = state(built_copy)
    result = run(built_copy, SOURCE, download=True)
    assert not result.success and "the limit is 100 bytes" in failure_text(result)
    assert state(built_copy) == before


def test_429_then_success_stores_a_snapshot_once(built_copy, network):
    network.script(DATASET, Answer(429, b"slow down", headers={"Retry-After": "0"}), Answer(body=RECORDED))
    before = state(built_copy)
    result = run(built_copy, SOURCE, download=True, accept_shrink=True)  # 6 cells instead of 426
    assert result.success, failure_text(result)
    assert len(network.requests) == 2
    new = sorted(set(state(built_copy)) - set(before))
    assert len(new) == 2 and new[0].endswith(".json") and new[1].endswith(".meta.yml")
    assert state(built_copy)["enforcement.duckdb"] != before["enforcement.duckdb"]
    rows = query(
        built_copy,
        "SELECT jurisdiction, year(period_end), value, source_url FROM observations WHERE source_id = ? ORDER BY 1, 2",
        [SOURCE],
    )
    assert [row[:3] for row in rows] == [
        ("DEU", 2021, 120285), ("DEU", 2022, 198310), ("FRA", 2021, 117265), ("FRA", 2022, 115135),
        ("GRC", 2021, 38015), ("GRC", 2022, 49060),
    ]  # fmt: skip
    assert all(row[3].startswith(network.base + "/statistics/1.0/data/migr_eipre?format=JSON") for row in rows)
    (sha,) = query(built_copy, "SELECT sha256 FROM sources WHERE source_id = ?", [SOURCE])[0]
    assert sha == hashlib.sha256(RECORDED).hexdigest()

    again = run(built_copy, SOURCE, download=True)
    assert again.success, failure_text(again)
    status = again.asset_materializations_for_node(f"raw__{SOURCE}")[0].metadata["status"].value
    assert status == "content unchanged: no new snapshot"
    assert {name for name in state(built_copy) if name.endswith(".json")} == {
        n for n in new + list(before) if n.endswith(".json")
    }
