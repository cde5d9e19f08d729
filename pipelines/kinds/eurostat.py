"""Official Eurostat datasets as a source kind: one per registry entry in `data/raw/sources/`.

The raw step registers the newest valid snapshot and never touches the network, unless it runs with
`download: true` (the `refresh_official_sources` job and its monthly schedule set it): then it downloads,
checks and stores a new snapshot first. A dataset with no snapshot yet is reported as not yet retrieved.
"""

import hashlib
from typing import ClassVar

import dagster as dg

from pipelines.eurostat import client, snapshots, staging
from pipelines.eurostat.errors import SnapshotError
from pipelines.kinds.base import RawReading, SourceUnavailable, StagedReading
from pipelines.layout import Layout
from pipelines.sources import Dataset, read_registry
from pipelines.validation.checks import CheckOutcome
from pipelines.validation.results import RuleResult
from pipelines.validation.rules import SNAPSHOT_INTACT

INTACT_CHECK = "snapshot_intact"


def _version(dataset: Dataset, snapshot: snapshots.Snapshot | None) -> str:
    """Changes with the snapshot's bytes and with the registry entry (an edited citation makes data stale)."""
    entry = hashlib.sha256(dataset.registry_file.read_bytes()).hexdigest()
    return hashlib.sha256(f"{snapshot.sha256 if snapshot else 'none'}:{entry}".encode()).hexdigest()[:32]


def current_snapshot(layout: Layout, dataset: Dataset) -> snapshots.Snapshot | None:
    """The verified newest snapshot; a damaged one makes the source unavailable (the run stops, no fallback)."""
    try:
        return snapshots.current_snapshot(dataset)
    except SnapshotError as error:
        shown = str(error).replace(f"{layout.root}/", "")
        message = f"{dataset.source_id}: {shown}. Nothing downstream was rebuilt."
        raise SourceUnavailable(message, check=INTACT_CHECK) from error


class EurostatDatasets:
    """Eurostat datasets declared in `data/raw/sources/<source_id>.yml`, snapshots under `data/raw/eurostat/`."""

    name = "eurostat"
    official = True
    raw_checks: ClassVar[dict[str, str]] = {
        INTACT_CHECK: (
            "The newest snapshot's bytes match the sha256 and size in its record, and every record has its file: "
            "a damaged snapshot stops the run (no fallback to an older one)."
        ),
    }
    staging_checks: ClassVar[dict[str, str]] = {}
    preview_columns: ClassVar[list[str]] = ["figure_id", "jurisdiction", "period_end", "value", "flags"]

    def discover(self, layout: Layout) -> list[Dataset]:
        return read_registry(layout).datasets

    def asset_kinds(self, dataset: Dataset) -> set[str]:
        return {"eurostat", "json" if dataset.format == "jsonstat" else "csv"}

    def describe_raw(self, layout: Layout, dataset: Dataset) -> str:
        return (
            f"Eurostat `{dataset.dataset}` ({dataset.title}): the newest checked snapshot in "
            f"`{layout.relative(dataset.snapshot_dir)}/`, with its request URL, retrieval time and sha256. Run with "
            "`download: true` (job refresh_official_sources) to fetch a new one; unchanged content makes no new "
            "snapshot."
        )

    def describe_staged(self, layout: Layout, dataset: Dataset) -> str:
        return (
            f"Eurostat `{dataset.dataset}` parsed: total cells become `{dataset.measure}` observations with "
            "their flags; every cell goes to the warehouse table eurostat_detail. Cells that cannot be parsed "
            f"are kept in data/curated/rejected/{dataset.source_id}.cells.csv; totals that fail validation are "
            f"quarantined in data/curated/rejected/{dataset.source_id}.csv (more than 1% stops the run)."
        )

    def read_raw(self, layout: Layout, dataset: Dataset, key: dg.AssetKey, download: bool) -> RawReading:
        folder = layout.relative(dataset.snapshot_dir)
        outcome = "registered the newest snapshot (offline)"
        if download:
            try:
                refreshed = snapshots.refresh(dataset, client.NetworkPolicy.from_environment())
            except SnapshotError as error:
                files = snapshots.snapshot_files(dataset)
                kept = layout.relative(files[-1]) if files else "none (not yet retrieved)"
                raise SourceUnavailable(
                    f"{dataset.source_id}: refresh failed: {error}. Snapshot still in use: {kept}."
                ) from error
            outcome = "stored a new snapshot" if refreshed.changed else "content unchanged: no new snapshot"
        snapshot = current_snapshot(layout, dataset)
        intact = [CheckOutcome(key, INTACT_CHECK, (RuleResult(SNAPSHOT_INTACT, 0, ()),))]
        if snapshot is None:
            return RawReading(
                metadata={"status": "not yet retrieved", "snapshots": dg.MetadataValue.path(folder)},
                data_version=_version(dataset, None),
                outcomes=intact,
                messages=[f"{dataset.source_id}: not yet retrieved (no snapshot in {folder}/)"],
            )
        meta = snapshot.meta
        return RawReading(
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
            data_version=_version(dataset, snapshot),
            outcomes=intact,
            messages=[f"{dataset.source_id}: {outcome}: {layout.relative(snapshot.path)}"],
        )

    def stage(self, layout: Layout, dataset: Dataset, key: dg.AssetKey) -> StagedReading:
        snapshot = current_snapshot(layout, dataset)
        try:
            staged = staging.stage(layout, dataset, snapshot)
        except SnapshotError as error:
            raise SourceUnavailable(f"{dataset.source_id}: {error}") from error
        warnings = []
        if staged.rejected:
            cells_file = layout.relative(staging.cells_rejected_file(layout, dataset.source_id))
            warnings.append(f"{dataset.source_id}: {staged.rejected} cell(s) refused; see {cells_file}")
        return StagedReading(
            observations=staged.observations,
            file=layout.relative(snapshot.path) if snapshot else layout.relative(dataset.registry_file),
            provenance=staged.provenance,
            metadata={
                "status": "parsed" if snapshot else "not yet retrieved",
                "detail_cells": staged.cells,
                "rejected_cells": staged.rejected,
            },
            warnings=warnings,
        )


KIND = EurostatDatasets()
