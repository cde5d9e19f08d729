"""Drawing charts on every core: a pool of forked workers (see pipelines.processes), each drawing one chart at
a time. Forked workers inherit the charts to draw (their drawing code is closures, which cannot be pickled) and
matplotlib, already imported; every file is written to a temporary name and moved into place, as in a serial
run."""

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import as_completed
from pathlib import Path

from pipelines.charts import style
from pipelines.charts.chart import (
    INDEX_SUFFIX,
    Chart,
    ChartFiles,
    draw_chart,
    finished_chart,
    hashed_images,
    read_index,
    unchanged_images,
    write_index,
)
from pipelines.processes import forking, pool
from pipelines.progress import Progress

WORKERS_ENV = "ENFORCEMENT_CHART_WORKERS"
_pending: list[tuple[Chart, Path]] = []


def workers() -> int:
    """How many charts are drawn at once: ENFORCEMENT_CHART_WORKERS, else one per core."""
    return max(1, int(os.environ.get(WORKERS_ENV) or os.cpu_count() or 1))


def _attempt(chart: Chart, out_dir: Path) -> tuple[str, dict[str, Path] | str]:
    """Draw one chart: its stem and its image files, or what went wrong (the other charts are still drawn)."""
    try:
        return chart.stem, draw_chart(chart, out_dir)
    except Exception as error:
        return chart.stem, f"{type(error).__name__}: {error}"


def _draw(index: int) -> tuple[str, dict[str, Path] | str]:
    return _attempt(*_pending[index])


def draw_charts(
    charts: list[Chart], out_dir: Path, progress: Progress | None = None
) -> tuple[dict[str, dict[str, Path]], dict[str, str]]:
    """Draw `charts` into `out_dir`, several at once when there are cores for it: each chart's image files, and
    for each chart that could not be drawn, the error."""
    results: list[tuple[str, dict[str, Path] | str]] = []
    for result in _drawn_one_by_one(charts, out_dir):
        results.append(result)
        if progress:
            progress.advance(result[0])
    drawn = {stem: files for stem, files in results if isinstance(files, dict)}
    return drawn, {stem: error for stem, error in results if isinstance(error, str)}


def _drawn_one_by_one(charts: list[Chart], out_dir: Path) -> Iterator[tuple[str, dict[str, Path] | str]]:
    """Each chart's `_attempt`, as each is drawn: by a pool of forked workers, or here with one worker (or where
    processes cannot be forked). A worker that crashes fails the pool (BrokenProcessPool), never hangs it."""
    count = min(workers(), len(charts))
    with forking() as context:
        if context is None or count <= 1:
            yield from (_attempt(chart, out_dir) for chart in charts)
            return
        style.pyplot()  # imported once here, inherited by every worker
        _pending[:] = [(chart, out_dir) for chart in charts]
        try:
            with pool(context, count) as workers_pool:
                futures = [workers_pool.submit(_draw, index) for index in range(len(charts))]
                try:
                    yield from (future.result() for future in as_completed(futures))
                finally:  # stopped early (an error, Ctrl-C): charts not yet started are not drawn
                    for future in futures:
                        future.cancel()
        finally:
            _pending.clear()


def _charts_failing_with(error: str, stems: list[str], errors: dict[str, str]) -> str:
    """`error` and the charts it stopped, e.g. "ratio_kaz: KeyError: 'x'" or "KeyError: 'x' (2 charts: a, b)"."""
    failing = [stem for stem in stems if errors[stem] == error]
    return f"{failing[0]}: {error}" if len(failing) == 1 else f"{error} ({len(failing)} charts: {', '.join(failing)})"


def write_chart_sets(
    out_dir: Path, sets: Mapping[str, Iterable[Chart]], log: Callable[[str], None] | None = None
) -> tuple[dict[str, tuple[list[ChartFiles], Path]], dict[str, list[str]]]:
    """Write every chart of each named set (an asset's charts), then the set's index. Only charts whose
    fingerprint or files changed are drawn, all sets' charts in one pool on every core (draw_charts), with their
    progress shown and sent to `log`. Returns each complete set's chart files and index, and for each set that
    could not be read or drawn, what went wrong (its index is left as it was, so its charts are tried again)."""
    built: dict[str, list[tuple[Chart, str, dict[str, Path] | None]]] = {}
    failed: dict[str, list[str]] = {}
    for name, charts in sets.items():
        previous = {entry["stem"]: entry for entry in read_index(out_dir / f"{name}{INDEX_SUFFIX}")}
        try:
            fingerprinted = [(chart, chart.fingerprint()) for chart in charts]
        except Exception as error:
            failed[name] = [f"reading its rows: {type(error).__name__}: {error}"]
            continue
        built[name] = [
            (chart, fingerprint, unchanged_images(out_dir, previous.get(chart.stem), fingerprint))
            for chart, fingerprint in fingerprinted
        ]
    pending = [chart for entries in built.values() for chart, _, images in entries if images is None]
    drawn, errors = draw_charts(pending, out_dir, Progress("charts", len(pending), log or (lambda line: None)))
    written = {}
    for name, entries in built.items():
        broken = [chart.stem for chart, _, _ in entries if chart.stem in errors]
        if broken:
            failed[name] = [
                _charts_failing_with(error, broken, errors) for error in dict.fromkeys(map(errors.get, broken))
            ]
            continue
        files = [
            finished_chart(
                chart, out_dir, fingerprint, images or hashed_images(drawn[chart.stem]), redrawn=images is None
            )
            for chart, fingerprint, images in entries
        ]
        written[name] = files, write_index(out_dir, name, files)
    return written, failed
