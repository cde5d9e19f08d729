"""Raw and staging assets for official Eurostat datasets: one pair per registry entry in `data/raw/sources/`.

The raw asset registers the newest valid snapshot and never touches the network, unless it runs with
`download: true` (the `refresh_official_sources` job and its monthly schedule set it): then it downloads,
checks and stores a new snapshot first. A dataset with no snapshot yet is reported as not yet retrieved.
"""

import hashlib

import dagster as dg

from pipelines.assets.figures import raw_key, staged_files, staged_key
from pipelines.assets.metadata import markdown_table
from pipelines.eurostat import client, snapshots, staging
from pipelines.eurostat.errors import SnapshotError
from pipelines.layout import Layout
from pipelines.sources import Dataset
from pipelines.validation.checks import validate_staged
from pipelines.validation.staging import conclude_checks, observations_check_spec
from pipelines.warehouse import write_staged

OFFICIAL = {"source_kind": "official"}
PREVIEW_COLUMNS = ["figure_id", "jurisdiction", "period_end", "value", "flags"]
INTACT_CHECK = "snapshot_intact"


class SnapshotConfig(dg.Config):
    """`download: true` fetches the dataset from Eurostat before registering the newest snapshot."""

    download: bool = False


def _version(dataset: Dataset, snapshot: snapshots.Snapshot | None) -> str:
    """Changes with the snapshot's bytes and with the registry entry (an edited citation makes data stale)."""
    entry = hashlib.sha256(dataset.registry_file.read_bytes()).hexdigest()
    return hashlib.sha256(f"{snapshot.sha256 if snapshot else 'none'}:{entry}".encode()).hexdigest()[:32]


def eurostat_assets(layout: Layout, dataset: Dataset) -> list[dg.AssetsDefinition]:
    """The raw (snapshot) and staging (parsed) assets of one Eurostat dataset."""
    folder = layout.relative(dataset.snapshot_dir)
    key_raw = raw_key(dataset.source_id)

    def current() -> snapshots.Snapshot | None:
        """The verified newest snapshot; a damaged one fails the blocking check and stops the run."""
        try:
            return snapshots.current_snapshot(dataset)
        except SnapshotError as error:
            shown = str(error).replace(f"{layout.root}/", "")
            raise dg.Failure(description=f"{dataset.source_id}: {shown}. Nothing downstream was rebuilt.") from error

    @dg.asset(
        key=key_raw,
        group_name="raw",
        kinds={"eurostat", "json" if dataset.format == "jsonstat" else "csv"},
        tags=OFFICIAL,
        check_specs=[
            dg.AssetCheckSpec(
                INTACT_CHECK,
                asset=key_raw,
                blocking=True,
                description="The newest snapshot's bytes match the sha256 and size in its record, and every "
                "record has its file: a damaged snapshot stops the run (no fallback to an older one).",
            )
        ],
        description=(
            f"Eurostat `{dataset.dataset}` ({dataset.title}): the newest checked snapshot in `{folder}/`, with "
            "its request URL, retrieval time and sha256. Run with `download: true` (job "
            "refresh_official_sources) to fetch a new one; unchanged content makes no new snapshot."
        ),
    )
    def raw_dataset(context: dg.AssetExecutionContext, config: SnapshotConfig):
        outcome = "registered the newest snapshot (offline)"
        if config.download:
            try:
                refreshed = snapshots.refresh(dataset, client.NetworkPolicy.from_environment())
            except SnapshotError as error:
                files = snapshots.snapshot_files(dataset)
                kept = layout.relative(files[-1]) if files else "none (not yet retrieved)"
                raise dg.Failure(
                    description=f"{dataset.source_id}: refresh failed: {error}. Snapshot still in use: {kept}."
                ) from error
            outcome = "stored a new snapshot" if refreshed.changed else "content unchanged: no new snapshot"
        try:
            snapshot = current()
        except dg.Failure as failure:
            yield dg.AssetCheckResult(
                asset_key=key_raw, check_name=INTACT_CHECK, passed=False, description=failure.description
            )
            raise
        intact = dg.AssetCheckResult(asset_key=key_raw, check_name=INTACT_CHECK, passed=True)
        if snapshot is None:
            context.log.info(f"{dataset.source_id}: not yet retrieved (no snapshot in {folder}/)")
            yield dg.MaterializeResult(
                metadata={"status": "not yet retrieved", "snapshots": dg.MetadataValue.path(folder)},
                data_version=dg.DataVersion(_version(dataset, None)),
            )
            yield intact
            return
        meta = snapshot.meta
        context.log.info(f"{dataset.source_id}: {outcome}: {layout.relative(snapshot.path)}")
        yield dg.MaterializeResult(
            metadata={
                "status": outcome,
                "path": dg.MetadataValue.path(layout.relative(snapshot.path)),
                "sha256": snapshot.sha256,
                "size_bytes": int(meta["size_bytes"]),
                "retrieved_at": snapshot.retrieved_at,
                "eurostat_updated": str(meta.get("eurostat_updated") or ""),
                "request_url": dg.MetadataValue.url(str(meta["request_url"])),
                "reconstructed": snapshot.reconstructed,
            },
            data_version=dg.DataVersion(_version(dataset, snapshot)),
        )
        yield intact

    key_staged = staged_key(dataset.source_id)

    @dg.asset(
        key=key_staged,
        deps=[raw_key(dataset.source_id)],
        group_name="staging",
        kinds={"duckdb", "parquet"},
        check_specs=[observations_check_spec(key_staged)],
        description=(
            f"Eurostat `{dataset.dataset}` parsed: total cells become `{dataset.measure}` observations with "
            "their flags; every cell goes to the warehouse table eurostat_detail. Cells that cannot be parsed "
            f"are kept in data/curated/rejected/{dataset.source_id}.cells.csv; totals that fail validation are "
            f"quarantined in data/curated/rejected/{dataset.source_id}.csv (more than 1% stops the run)."
        ),
    )
    def staged_dataset(context: dg.AssetExecutionContext):
        snapshot = current()
        try:
            staged = staging.stage(layout, dataset, snapshot)
        except SnapshotError as error:
            raise dg.Failure(description=f"{dataset.source_id}: {error}") from error
        if staged.rejected:
            context.log.warning(
                f"{dataset.source_id}: {staged.rejected} cell(s) refused; "
                f"see {layout.relative(staging.cells_rejected_file(layout, dataset.source_id))}"
            )
        shown = layout.relative(snapshot.path) if snapshot else layout.relative(dataset.registry_file)
        checked = validate_staged(staged.observations, asset_key=key_staged, source_kind="eurostat", file=shown)
        yield from conclude_checks(context, layout, dataset.source_id, [checked.outcome], checked.rejected)
        frame = checked.kept
        parquet, provenance_file = staged_files(layout, dataset.source_id)
        write_staged(frame, parquet)
        staging.write_provenance(provenance_file, {**staged.provenance, "row_count": len(frame)})
        yield dg.MaterializeResult(
            metadata={
                "status": "parsed" if snapshot else "not yet retrieved",
                "staged": dg.MetadataValue.path(layout.relative(parquet)),
                "dagster/row_count": len(frame),
                "detail_cells": staged.cells,
                "rejected_cells": staged.rejected,
                "quarantined_totals": len(checked.rejected),
                "preview": dg.MetadataValue.md(
                    markdown_table(PREVIEW_COLUMNS, frame[PREVIEW_COLUMNS].head(10).values.tolist(), len(frame))
                ),
            }
        )

    return [raw_dataset, staged_dataset]
