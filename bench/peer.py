"""The plain-script peer of `rebuild_everything`: the same work without Dagster's orchestration.

    .venv/bin/python bench/peer.py [ROOT]     # ROOT: a checkout whose data/raw is read (default: a temp copy)

Reads every figure sheet and Eurostat snapshot, validates them with the same Great Expectations suites,
writes the staged Parquet files, builds the DuckDB warehouse with the same checks, draws every chart and
builds the report pack. It calls the project's library functions (parsers, suites, warehouse build, chart
drawing, report) and no asset, job, run or event log. `bench/run.py` times it against the pipeline.
"""

import json
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines import sheets  # noqa: E402
from pipelines.eurostat import snapshots, staging  # noqa: E402
from pipelines.kinds.figure_sheet import sheet_origin, sheet_provenance  # noqa: E402
from pipelines.kinds.registry import discover_sources  # noqa: E402
from pipelines.layout import Layout  # noqa: E402
from pipelines.schema import OBSERVATION_COLUMNS  # noqa: E402
from pipelines.validation.checks import CURATED_KIND, validate_staged  # noqa: E402
from pipelines.validation.rejected import record_rejected, rejected_table_sql  # noqa: E402
from pipelines.validation.rules import sheet_cells_suite, sheet_structure_suite  # noqa: E402
from pipelines.validation.warehouse_checks import warehouse_checks  # noqa: E402
from pipelines.warehouse import (  # noqa: E402
    StagedSource,
    build_warehouse,
    staged_files,
    write_provenance,
    write_staged,
)

RUN_ID = "peer"
CHART_NAMES = [
    "headline_kaz_2008",
    "headline_comparisons",
    "ratio_over_time",
    "cross_jurisdiction",
    "coverage_matrix",
    "eurostat_series",
]


def stage_sheet(layout: Layout, sheet: sheets.Sheet) -> None:
    """Read, check (structure, cells, observations) and stage one figure sheet; stop on any bad row."""
    from pipelines.validation.expectations import validate_frame

    shown = layout.relative(sheet.path)
    cells = sheets.read_sheet(sheet.path, shown)
    structure = validate_frame(cells, sheet_structure_suite(sheets.expected_columns(cells)), shown)
    formats = validate_frame(cells, sheet_cells_suite(sheets.text_columns(cells)), shown)
    typed = sheets.to_observations(cells, sheet.source_id)
    checked = validate_staged(typed, asset_key=None, source_kind=CURATED_KIND, file=shown)
    problems = [p for result in (*structure, *formats) for p in result.problems] + checked.rejected
    record_rejected(layout, sheet.source_id, problems, RUN_ID)
    if problems:
        raise SystemExit(f"{shown}: {len(problems)} bad row(s)")
    frame = checked.kept[list(OBSERVATION_COLUMNS)]
    parquet, provenance_file = staged_files(layout, sheet.source_id)
    write_staged(frame, parquet)
    provenance = sheet_provenance(layout, sheet, sheet_origin(layout, sheet)[0], CURATED_KIND)
    write_provenance(provenance_file, {**provenance, "row_count": len(frame)})


def stage_dataset(layout: Layout, dataset) -> None:
    """Parse one Eurostat snapshot, validate its totals (quarantine policy) and stage them."""
    snapshot = snapshots.current_snapshot(dataset)
    staged = staging.stage(layout, dataset, snapshot)
    shown = layout.relative(snapshot.path) if snapshot else layout.relative(dataset.registry_file)
    checked = validate_staged(staged.observations, asset_key=None, source_kind="eurostat", file=shown)
    record_rejected(layout, dataset.source_id, checked.rejected, RUN_ID)
    parquet, provenance_file = staged_files(layout, dataset.source_id)
    write_staged(checked.kept, parquet)
    write_provenance(provenance_file, {**staged.provenance, "row_count": len(checked.kept)})


def build(layout: Layout) -> dict[str, int]:
    """Union the staged sources into the warehouse, with the warehouse checks before the swap."""
    staged = []
    for source_id in [source.source_id for _, source in discover_sources(layout)]:
        parquet, provenance = staged_files(layout, source_id)
        staged.append(StagedSource(source_id, parquet, json.loads(provenance.read_text(encoding="utf-8"))))

    def guard(con: duckdb.DuckDBPyConnection) -> None:
        if any(outcome.blocks for outcome in warehouse_checks(con, date.today())):
            raise SystemExit("warehouse checks failed")

    return build_warehouse(layout.warehouse_path, staged, rejected_table_sql(layout, RUN_ID), guard=guard)


def draw(layout: Layout) -> int:
    """Every chart the chart assets draw, then the report pack; the number of charts."""
    from pipelines.assets.charts import _draw
    from pipelines.charts.parallel import write_charts
    from pipelines.report.pack import build_report

    count = 0
    with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
        for name in CHART_NAMES:
            drawn, _ = write_charts(layout.charts_dir, name, _draw(name, con))
            count += len(drawn)
    build_report(layout)
    return count


def run_peer(layout: Layout, charts: bool = True) -> dict:
    """The whole peer run on `layout` (its data/raw is read, its curated and assets folders written)."""
    for kind, source in discover_sources(layout):
        (stage_sheet if kind.name == CURATED_KIND else stage_dataset)(layout, source)
    counts = build(layout)
    return {"tables": counts, "charts": draw(layout) if charts else 0}


def main() -> None:
    if len(sys.argv) > 1:
        root, scratch = Path(sys.argv[1]), None
    else:
        scratch = Path(tempfile.mkdtemp(prefix="peer_"))
        root = scratch
        shutil.copytree(ROOT / "data" / "raw", root / "data" / "raw")
    try:
        started = time.perf_counter()
        result = run_peer(Layout(root))
        print(f"peer run: {time.perf_counter() - started:.1f} s, {result}")
    finally:
        if scratch:
            shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
