"""The publish asset: the warehouse copied into PostgreSQL for a team's BI tools, when a target is configured."""

import time

import dagster as dg
import lazy_loader as lazy

from pipelines.assets.warehouse import TABLE_DESCRIPTIONS
from pipelines.layout import Layout
from pipelines.markdown import markdown_table
from pipelines.publish import PUBLISHED_TABLES, URL_ENV, PublishError, PublishTarget, publish_warehouse

psycopg = lazy.load("psycopg", error_on_import=True)

PUBLISH_KEY = dg.AssetKey(["publish", "postgres_warehouse"])


def publish_asset(layout: Layout) -> dg.AssetsDefinition:
    """The asset that publishes the warehouse tables to the PostgreSQL schema named by the environment."""

    @dg.asset(
        key=PUBLISH_KEY,
        deps=list(TABLE_DESCRIPTIONS),  # the warehouse tables' asset keys
        group_name="publish",
        kinds={"postgres"},
        pool="duckdb_warehouse",
        output_required=False,
        description=(
            f"The warehouse tables ({', '.join(PUBLISHED_TABLES)}) published into a PostgreSQL schema in one "
            "transaction, readable by the reporting role, for BI tools (Metabase, Superset, Excel over ODBC). "
            f"Set {URL_ENV} to a PostgreSQL URL to publish; without it the step is skipped and records why."
        ),
    )
    def postgres_warehouse(context: dg.AssetExecutionContext):
        target = PublishTarget.from_environment()
        if target is None:
            reason = f"{URL_ENV} is not set: nothing published (the laptop set-up needs no database server)"
            context.log.info(f"Skipped: {reason}")
            context.log_event(dg.AssetObservation(asset_key=PUBLISH_KEY, metadata={"skipped": reason}))
            return
        started = time.monotonic()
        note = f"Published by Dagster run {context.run_id} from {layout.relative(layout.warehouse_path)}"
        try:
            counts = publish_warehouse(layout.warehouse_path, target, TABLE_DESCRIPTIONS, note)
        except psycopg.errors.LockNotAvailable as error:
            raise dg.Failure(
                f"Publishing to {target.describe()} gave up waiting for readers of schema {target.schema} "
                "(a BI session holding a transaction open?) and was rolled back; the published tables are unchanged."
            ) from error
        except (PublishError, psycopg.Error) as error:
            raise dg.Failure(
                f"Publishing to {target.describe()} failed and was rolled back; the published schema "
                f"{target.schema} is unchanged. {type(error).__name__}: {error}"
            ) from error
        yield dg.MaterializeResult(
            metadata={
                "target": target.describe(),
                "schema": target.schema,
                "reader_role": target.reader_role,
                "dagster/row_count": counts["observations"],
                "tables": dg.MetadataValue.md(markdown_table(["table", "rows"], [list(i) for i in counts.items()])),
                "seconds": round(time.monotonic() - started, 2),
            }
        )

    return postgres_warehouse
