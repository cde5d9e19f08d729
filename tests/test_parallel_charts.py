"""Charts drawn on every core are the same files as charts drawn one at a time, and long drawing reports its
progress: real charts from the built warehouse, real files."""

import io

import duckdb

from pipelines.assets.charts import _draw
from pipelines.charts.parallel import WORKERS_ENV, write_chart_sets
from pipelines.progress import Progress
from pipelines.provenance import sha256_of


def test_charts_drawn_one_at_a_time_are_byte_identical_to_those_drawn_in_parallel(built, tmp_path, monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "1")
    log: list[str] = []
    with duckdb.connect(str(built.warehouse_path), read_only=True) as con:
        written = write_chart_sets(tmp_path, {"ratio_over_time": _draw("ratio_over_time", con)}, log.append)
    serial, _ = written["ratio_over_time"]
    assert len(serial) >= 10 and all(chart.redrawn for chart in serial)
    for chart in serial:
        for kind, path in chart.files.items():
            assert sha256_of(path) == sha256_of(built.charts_dir / path.name), f"{path.name} ({kind})"
    assert log[0].startswith(f"charts: 10/{len(serial)}, ")
    assert log[-1].startswith(f"charts: {len(serial)}/{len(serial)}, ")


def test_progress_writes_plain_lines_when_not_a_terminal_and_logs_every_ten():
    stream, logged = io.StringIO(), []
    progress = Progress("charts", 23, logged.append, stream)
    for number in range(23):
        progress.advance(f"chart_{number}")
    lines = stream.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == ["charts: 10/23", "charts: 20/23", "charts: 23/23"]
    assert lines[-1].endswith("drew chart_22") and "\r" not in stream.getvalue()
    assert logged == lines
