"""The warehouse assets: every staged source unioned into `data/curated/enforcement.duckdb`."""

import json
from dataclasses import replace

import dagster as dg
import lazy_loader as lazy
from pydantic import Field

from pipelines import changes, columns
from pipelines.layout import Layout
from pipelines.markdown import markdown_table
from pipelines.validation.checks import CheckOutcome, blocked_failure
from pipelines.validation.rejected import rejected_table_sql
from pipelines.validation.report import write_report
from pipelines.validation.warehouse_checks import CHECKS, warehouse_checks
from pipelines.warehouse import StagedSource, WarehouseBusyError, build_warehouse, staged_files

duckdb = lazy.load("duckdb", error_on_import=True)

TABLE_DESCRIPTIONS = {
    "observations": (
        "Every figure from every source, one row each, in the common schema: place, period, target group "
        "(migrants or employers), measure, value, unit, qualifier, and the citation (source URL, exact quote). "
        "Rebuilt whenever a source changes."
    ),
    "comparisons": (
        "Each figure on migrants paired with each figure on employers for the same place and exact period, "
        "with the ratio (only where both sides count people or organisations) and what the ratio is: exact, "
        "approximate, a lower or an upper bound."
    ),
    "measures": "The vocabulary of measures (arrested, deported, held liable, fined...) with their definitions.",
    "units": "The count units and what each counts (people, organisations, events or documents).",
    "sources": (
        "One row per source (figure sheet or dataset): producer, title, citation, licence, date accessed, and "
        "the path and sha256 of the raw file the figures were read from."
    ),
    "eurostat_detail": (
        "Every usable cell of every Eurostat dataset at full detail (one column per dimension, e.g. citizen, "
        "age, sex), with jurisdiction, period, value and Eurostat's flags; observations holds the totals."
    ),
    "observations_cited": (
        "A view of observations with what ties each figure to its raw file: the source's title, the raw file's "
        "path and sha256, and when it was obtained. The data package's figures.csv is read from it."
    ),
    "rejected_rows": (
        "Rows the sources' staging refused and quarantined (file, row, column, value, reason, run id). Runs that "
        "were stopped also log theirs in data/curated/rejected.duckdb."
    ),
    "changes": (
        "What each run changed compared with the last good warehouse, kept across runs: rows added, removed and "
        "changed per source (old → new value, new quote), comparisons whose ratio moved, sources added or "
        "removed, and shrinks accepted (by whom, why). Each run's summary is in data/curated/changes/<run id>.md."
    ),
}
SOURCE_TABLES = ("observations", "sources", "eurostat_detail", "rejected_rows", "changes")
SHRINK_CHECK = "shrink_consented"


class WarehouseConfig(dg.Config):
    """Consent to a shrink: the sources that may lose rows in this run, and why (recorded in `changes`)."""

    accept_shrink: list[str] = Field(default_factory=list, description="source ids allowed to lose rows")
    reason: str = Field("", description="why they may (required with accept_shrink)")


class WarehouseRejected(Exception):
    """A blocking warehouse check failed: the new warehouse is not swapped in."""


def warehouse_assets(layout: Layout, staged_keys: dict[str, dg.AssetKey]) -> dg.AssetsDefinition:
    """One multi-asset that builds all warehouse tables into a new DuckDB file and swaps it in."""
    specs = [
        dg.AssetSpec(
            key=table,
            group_name="warehouse",
            kinds={"duckdb"},
            description=description,
            deps=list(staged_keys.values())
            if table in SOURCE_TABLES
            else ["observations", "sources"]
            if table == "observations_cited"
            else ["observations"],
        )
        for table, description in TABLE_DESCRIPTIONS.items()
    ]
    check_specs = [
        dg.AssetCheckSpec(name, asset=table, description=text, blocking=name == "observations_valid")
        for table, checks in CHECKS.items()
        for name, text in checks.items()
    ] + [
        dg.AssetCheckSpec(
            SHRINK_CHECK,
            asset="observations",
            blocking=True,
            description=(
                "No source still declared loses more than 20% of its rows, nor an official dataset any figure of a "
                "year, compared with the last good warehouse, unless the run accepts it (accept_shrink, reason)."
            ),
        )
    ]

    @dg.multi_asset(name="warehouse", specs=specs, check_specs=check_specs, pool="duckdb_warehouse")
    def warehouse(context: dg.AssetExecutionContext, config: WarehouseConfig):
        if config.accept_shrink and not config.reason.strip():
            raise dg.Failure('accept_shrink needs a reason (--reason "..."): it is recorded in the table changes')
        consent = changes.Consent(tuple(config.accept_shrink), config.reason.strip())
        staged = []
        for source_id in staged_keys:
            parquet, provenance = staged_files(layout, source_id)
            if not parquet.exists():
                raise dg.Failure(f"{source_id} has not been staged yet: materialise staging/{source_id} first")
            staged.append(StagedSource(source_id, parquet, json.loads(provenance.read_text(encoding="utf-8"))))
        outcomes: list[CheckOutcome] = []
        diffs: list[changes.Diff] = []

        def guard(con: "duckdb.DuckDBPyConnection") -> None:
            outcomes.extend(warehouse_checks(con))
            report = write_report(layout, context.run_id, outcomes)
            outcomes[:] = [replace(outcome, report=report) for outcome in outcomes]
            if any(outcome.blocks for outcome in outcomes):
                raise WarehouseRejected
            diffs.append(changes.compare_with_previous(con, layout.warehouse_path))
            if refused := changes.refused(diffs[0], consent):
                raise changes.ShrinkRefused(refused)
            changes.record_changes(con, diffs[0], context.run_id, consent)

        try:
            counts = build_warehouse(
                layout.warehouse_path, staged, rejected_table_sql(layout, context.run_id), guard=guard
            )
        except WarehouseBusyError as error:
            raise dg.Failure(str(error)) from error
        except WarehouseRejected:
            yield from (outcome.check_result() for outcome in outcomes)
            raise blocked_failure(outcomes) from None
        except changes.ShrinkRefused as refusal:
            yield from (outcome.check_result() for outcome in outcomes)
            yield _shrink_check(refusal.shrinks, str(refusal))
            raise dg.Failure(description=str(refusal)) from None
        context.log.info(f"warehouse {layout.relative(layout.warehouse_path)}: {counts}")
        with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
            run_changes = changes.run_changes(con, context.run_id)
            log = changes.write_changes_file(layout.curated_dir, run_changes, context.run_id)
            for line in changes.short_summary(run_changes):
                context.log.info(line)
            in_ui = changes.changes_markdown(run_changes, context.run_id, changes.UI_ROWS_SHOWN)
            for table in TABLE_DESCRIPTIONS:
                metadata = _table_metadata(con, table, counts[table], layout)
                if table in ("observations", "changes"):
                    metadata |= {
                        "changes": dg.MetadataValue.md(in_ui),
                        "change_log": dg.MetadataValue.path(layout.relative(log)),
                    }
                yield dg.MaterializeResult(asset_key=table, metadata=metadata)
        for outcome in outcomes:
            context.log.info(outcome.summary())
            yield outcome.check_result()
        yield _shrink_check(diffs[0].shrinks, "")

    return warehouse


def _shrink_check(shrinks: list[changes.Shrink], refusal: str) -> dg.AssetCheckResult:
    """Passed when nothing shrank or every shrink was accepted; the table lists what would go."""
    table = markdown_table(changes.SHRINK_HEADER, [shrink.row() for shrink in shrinks]) if shrinks else ""
    return dg.AssetCheckResult(
        asset_key="observations",
        check_name=SHRINK_CHECK,
        passed=not refusal,
        description=refusal or ("shrink accepted by this run's config" if shrinks else None),
        metadata={"shrinking_sources": dg.MetadataValue.md(table)} if table else {},
    )


def _table_metadata(con: "duckdb.DuckDBPyConnection", table: str, rows: int, layout: Layout) -> dict:
    """Row count, each column's type and description (`pipelines/columns.yml`), and a preview."""
    described = con.execute(f"DESCRIBE {table}").fetchall()
    schema = dg.TableSchema(
        columns=[dg.TableColumn(name, kind, description=columns.describe(table, name)) for name, kind, *_ in described]
    )
    cursor = con.execute(f"SELECT * FROM {table} LIMIT 5")
    preview = markdown_table([c[0] for c in cursor.description], [list(r) for r in cursor.fetchall()])
    return {
        "dagster/row_count": rows,
        "dagster/column_schema": schema,
        "dagster/table_name": f"enforcement.main.{table}",
        "warehouse": dg.MetadataValue.path(layout.relative(layout.warehouse_path)),
        "preview": dg.MetadataValue.md(preview),
    }
