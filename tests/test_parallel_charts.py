"""Charts drawn on every core are the same files as charts drawn one at a time, and long drawing reports its
progress: real charts from the built warehouse, real files."""

import dataclasses
import gc
import io
import os
import re
import signal
from concurrent.futures.process import BrokenProcessPool

import duckdb
import pytest

from conftest import failure_text, materialisation, materialise
from pipelines.assets.charts import _draw
from pipelines.charts import coverage, ratios
from pipelines.charts.chart import INDEX_SUFFIX
from pipelines.charts.parallel import WORKERS_ENV, draw_charts, write_chart_sets
from pipelines.processes import forking
from pipelines.progress import Progress
from pipelines.provenance import sha256_of


def test_charts_drawn_one_at_a_time_are_byte_identical_to_those_drawn_in_parallel(built, tmp_path, monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "1")
    log: list[str] = []
    with duckdb.connect(str(built.warehouse_path), read_only=True) as con:
        written, failed = write_chart_sets(tmp_path, {"ratio_over_time": _draw("ratio_over_time", con)}, log.append)
    assert failed == {}
    serial, _ = written["ratio_over_time"]
    assert len(serial) >= 10 and all(chart.redrawn for chart in serial)
    for chart in serial:
        for kind, path in chart.files.items():
            assert sha256_of(path) == sha256_of(built.charts_dir / path.name), f"{path.name} ({kind})"
    assert log[0].startswith(f"charts: 10/{len(serial)}, ")
    assert log[-1].startswith(f"charts: {len(serial)}/{len(serial)}, ")


class _Writes(io.StringIO):
    """A text stream that also keeps each write apart."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_progress_writes_plain_lines_when_not_a_terminal_and_logs_every_ten():
    stream, logged = _Writes(), []
    progress = Progress("charts", 23, logged.append, stream)
    for number in range(23):
        progress.advance(f"chart_{number}")
    # each line in one write, so that a log line on stderr cannot land inside it where both go to one file
    assert all(write.endswith("\n") and write.count("\n") == 1 for write in stream.writes), stream.writes
    lines = stream.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == ["charts: 10/23", "charts: 20/23", "charts: 23/23"]
    assert lines[-1].endswith("drew chart_22") and "\r" not in stream.getvalue()
    assert logged == lines


def test_charts_that_cannot_be_drawn_fail_their_asset_and_keep_its_files_while_the_others_are_written(
    built_copy, monkeypatch
):
    """One asset's charts fail in the pool's workers, another's rows cannot be read: both assets fail with what
    went wrong, their files and index stay as they were; every other chart asset is materialised; no report."""
    real_ratio_chart = ratios.build_ratio_over_time

    def ratio_chart_without_ink(*place):
        def draw():
            raise RuntimeError("no ink")

        return dataclasses.replace(real_ratio_chart(*place), draw=draw)

    def coverage_without_rows(con):
        raise ValueError("no rows")

    monkeypatch.setattr(ratios, "build_ratio_over_time", ratio_chart_without_ink)
    monkeypatch.setattr(coverage, "build_coverage", coverage_without_rows)
    charts = built_copy.charts_dir
    kept = {path.name: path.read_bytes() for path in charts.glob("*") if path.name.startswith(("ratio_", "coverage_"))}
    assert any(name.endswith(INDEX_SUFFIX) for name in kept) and len(kept) > 40

    result = materialise(built_copy, job="render_charts_and_report")

    assert not result.success
    message = failure_text(result)
    assert re.search(r"charts/ratio_over_time: RuntimeError: no ink \(\d+ charts: ratio_over_time_che, ", message)
    assert "charts/coverage_matrix: reading its rows: ValueError: no rows" in message, message
    for name in ("ratio_over_time", "coverage_matrix"):
        assert materialisation(result, ["charts", name]) is None
    for name in ("headline_kaz_2008", "headline_comparisons", "cross_jurisdiction", "eurostat_series"):
        assert materialisation(result, ["charts", name]) is not None, name
    assert materialisation(result, ["reports", "report_pack"]) is None
    assert {path.name: path.read_bytes() for path in charts.glob("*") if path.name in kept} == kept


class _Cycle:
    """An object that only the garbage collector can free (it refers to itself)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.itself, self.con = self, con


def test_a_forked_worker_never_collects_a_duckdb_connection_it_inherited(tmp_path):
    """Collecting an inherited DuckDB connection crashes a forked child (its threads live in the parent); this
    happened in pytest workers, where such garbage lies about, and the pool then waited for the child forever."""
    gc.disable()
    try:
        con = duckdb.connect(str(tmp_path / "garbage.duckdb"))
        con.execute("CREATE TABLE t AS SELECT range AS x FROM range(1000000)")
        assert con.execute("SELECT sum(x) FROM t").fetchone() == (499999500000,)
        _Cycle(con)
        del con
        with forking() as context:
            child = context.Process(target=gc.collect)
            child.start()
        child.join(60)
    finally:
        gc.enable()
    assert child.exitcode == 0


def test_a_worker_that_crashes_fails_the_drawing_instead_of_hanging(built, tmp_path, monkeypatch):
    """multiprocessing.Pool waited forever for a crashed worker; the pool now fails instead, also when the run
    was started with SIGTERM ignored (as tests here may be), which its workers inherit."""
    monkeypatch.setenv(WORKERS_ENV, "2")
    with duckdb.connect(str(built.warehouse_path), read_only=True) as con:
        charts = list(_draw("ratio_over_time", con))[:4]
    charts[1] = dataclasses.replace(charts[1], draw=lambda: os.kill(os.getpid(), signal.SIGKILL))

    def hung(*_):
        raise TimeoutError("the pool waited for a dead worker")

    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, signal.SIG_IGN),  # what the workers inherit
        signal.SIGALRM: signal.signal(signal.SIGALRM, hung),
    }
    signal.alarm(120)
    try:
        with pytest.raises(BrokenProcessPool):
            draw_charts(charts, tmp_path)
    finally:
        signal.alarm(0)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
