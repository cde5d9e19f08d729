"""Drawing charts on every core: a pool of forked workers, each drawing one chart at a time. Forked workers
inherit the charts to draw (their drawing code is closures, which cannot be pickled) and matplotlib, already
imported; every file is written to a temporary name and moved into place, as in a serial run."""

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pipelines.charts import style
from pipelines.charts.chart import (
    INDEX_SUFFIX,
    Chart,
    ChartFiles,
    _unchanged_images,
    _written,
    draw_chart,
    read_index,
    write_index,
)
from pipelines.progress import Progress

WORKERS_ENV = "ENFORCEMENT_CHART_WORKERS"
_pending: list[tuple[Chart, Path]] = []


def workers() -> int:
    """How many charts are drawn at once: ENFORCEMENT_CHART_WORKERS, else one per core."""
    return max(1, int(os.environ.get(WORKERS_ENV) or os.cpu_count() or 1))


def _quiet_on_terminate() -> None:
    """Workers end silently when the pool stops them, instead of running the signal handler they inherited."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _draw(index: int) -> tuple[str, dict[str, Path]]:
    chart, out_dir = _pending[index]
    return chart.stem, draw_chart(chart, out_dir)


def draw_charts(charts: list[Chart], out_dir: Path, progress: Progress | None = None) -> dict[str, dict[str, Path]]:
    """Draw `charts` into `out_dir`, several at once when there are cores for it; each chart's image files."""
    drawn: dict[str, dict[str, Path]] = {}
    count = min(workers(), len(charts))
    if count <= 1:
        for chart in charts:
            drawn[chart.stem] = draw_chart(chart, out_dir)
            if progress:
                progress.advance(chart.stem)
        return drawn
    style.pyplot()  # imported once here, inherited by every worker
    _pending[:] = [(chart, out_dir) for chart in charts]
    try:
        with multiprocessing.get_context("fork").Pool(count, initializer=_quiet_on_terminate) as pool:
            for stem, files in pool.imap_unordered(_draw, range(len(charts))):
                drawn[stem] = files
                if progress:
                    progress.advance(stem)
            pool.close()
            pool.join()
    finally:
        _pending.clear()
    return drawn


def write_chart_sets(
    out_dir: Path, sets: Mapping[str, Iterable[Chart]], log: Callable[[str], None] | None = None
) -> dict[str, tuple[list[ChartFiles], Path]]:
    """Write every chart of each named set (an asset's charts), then the set's index. Only charts whose
    fingerprint or files changed are drawn, all sets' charts in one pool on every core (draw_charts), with their
    progress shown and sent to `log`; each set's chart files and index."""
    built: dict[str, list[tuple[Chart, str, dict[str, Path] | None]]] = {}
    for name, charts in sets.items():
        previous = {entry["stem"]: entry for entry in read_index(out_dir / f"{name}{INDEX_SUFFIX}")}
        fingerprinted = [(chart, chart.fingerprint()) for chart in charts]
        built[name] = [
            (chart, fingerprint, _unchanged_images(out_dir, previous.get(chart.stem), fingerprint))
            for chart, fingerprint in fingerprinted
        ]
    pending = [chart for entries in built.values() for chart, _, images in entries if images is None]
    drawn = draw_charts(pending, out_dir, Progress("charts", len(pending), log or (lambda line: None)))
    written = {}
    for name, entries in built.items():
        files = [
            _written(chart, out_dir, fingerprint, images or drawn[chart.stem], redrawn=images is None)
            for chart, fingerprint, images in entries
        ]
        written[name] = files, write_index(out_dir, name, files)
    return written
