"""Time the whole chart suite and the report pack on the current warehouse; print a table, time per chart.

Usage: `.venv/bin/python bench/charts.py [--repeat N] [--limit N]` after `make run` (reads
data/curated/enforcement.duckdb, writes into a temporary folder, never into assets/). For each chart it
times reading its rows (data), its fingerprint (hash: what decides whether a run redraws it), drawing the
figure and writing each format separately, so a slow step shows up; the last rows compare the PDF font types
on the same figure in the same process (the baseline the house style chose).
"""

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.layout import default_layout


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1, help="draw the suite this many times (median reported)")
    parser.add_argument("--limit", type=int, default=0, help="draw at most this many charts per asset (0 = all)")
    arguments = parser.parse_args()

    from pipelines.assets.charts import CHART_ASSETS, _draw
    from pipelines.charts import style
    from pipelines.exports import write_csv

    layout = default_layout()
    if not layout.warehouse_path.exists():
        print("No warehouse: run `make run` first.", file=sys.stderr)
        return 1
    plt = style.pyplot()
    rows: list[tuple[str, str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as folder, duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
        out = Path(folder)
        suite_start = time.perf_counter()
        for _ in range(arguments.repeat):
            for name in CHART_ASSETS:
                charts, drawn = _draw(name, con), 0
                while not arguments.limit or drawn < arguments.limit:
                    data, chart = timed(lambda charts=charts: next(charts, None))
                    if chart is None:
                        break
                    drawn += 1
                    times = {"data": data}
                    times["hash"], _ = timed(chart.fingerprint)
                    times["draw"], fig = timed(chart.draw)
                    for extension in style.FORMATS:
                        times[extension], _ = timed(
                            lambda fig=fig, stem=chart.stem, extension=extension: style.save_format(
                                fig, out / f"{stem}.{extension}", extension
                            )
                        )
                    times["csv"], _ = timed(
                        lambda chart=chart: write_csv(out / f"{chart.stem}.csv", chart.columns, chart.plotted)
                    )
                    rows.append((name, chart.stem, times))
                    if name == "headline_kaz_2008":
                        kazakhstan = chart
                    plt.close(fig)
        suite = (time.perf_counter() - suite_start) / arguments.repeat
        fig = kazakhstan.draw()  # outside the suite's time: the comparison is not the project's work
        fonttypes = _compare_pdf_fonttypes(plt, fig)
        plt.close(fig)
        report_seconds = _time_report(layout, out)

    columns = ["data", "hash", "draw", *style.FORMATS, "csv"]
    print(f"{'asset':<22} {'chart':<46} " + " ".join(f"{c:>7}" for c in columns) + f" {'total':>7}")
    for name, stem, _ in rows[: len(rows) // arguments.repeat]:
        medians = {c: statistics.median(t[c] for n, s, t in rows if s == stem) for c in columns}
        print(f"{name:<22} {stem[:46]:<46} " + " ".join(f"{medians[c]:7.3f}" for c in columns)
              + f" {sum(medians.values()):7.3f}")  # fmt: skip
    charts = len(rows) // arguments.repeat
    per_chart = [sum(t.values()) for _, _, t in rows]
    print(f"\n{charts} charts: suite {suite:.1f} s, median {statistics.median(per_chart):.2f} s per chart, "
          f"slowest {max(per_chart):.2f} s")  # fmt: skip
    for column in columns:
        share = sum(t[column] for _, _, t in rows) / sum(per_chart)
        print(f"  {column:<6} {share:6.1%} of chart time")
    print(f"report pack (HTML, PDF, data package) from those files: {report_seconds:.1f} s")
    print(
        f"PDF of headline_kaz_2008, same figure: Type 3 {fonttypes[3]:.3f} s vs Type 42 {fonttypes[42]:.3f} s "
        f"(Type 42 / Type 3 = {fonttypes[42] / fonttypes[3]:.1f}x)"
    )
    return 0


def _compare_pdf_fonttypes(plt, fig) -> dict[int, float]:
    results = {}
    for fonttype in (3, 42, 3, 42):
        with plt.rc_context({"pdf.fonttype": fonttype}):
            results[fonttype], _ = timed(lambda: fig.savefig(io.BytesIO(), format="pdf"))
    return results


def _time_report(layout, out: Path) -> float:
    """Time the report pack built by the real code on the real chart files (written to a temporary copy)."""
    import shutil

    from pipelines.layout import Layout
    from pipelines.report.pack import build_report

    copy = Layout(out / "project")
    shutil.copytree(layout.charts_dir, copy.charts_dir)
    copy.warehouse_path.parent.mkdir(parents=True)
    shutil.copy(layout.warehouse_path, copy.warehouse_path)
    seconds, _ = timed(lambda: build_report(copy))
    return seconds


if __name__ == "__main__":
    sys.exit(main())
