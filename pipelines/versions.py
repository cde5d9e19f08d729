"""What makes an asset stale, in Dagster's own terms: data versions of the files each source reads and code
versions of the code each stage runs.

- `files/<source>` is an external asset: the files of one source under `data/raw/` (sheet and sidecar, registry
  entry, snapshots and their records). Its data version is the sha256 of those files; `make run` and the
  sensor `raw_files_changed` record it as an observation whenever it changes, which makes `raw/<source>` and
  everything downstream stale (the UI's "Materialize changed and missing" then rebuilds them).
- Every asset carries a code version: the sha256 of the pipeline code its stage runs (and the vocabulary), so
  a change to that code makes it stale too.
"""

import functools
import hashlib
import warnings
from collections import defaultdict
from pathlib import Path

import dagster as dg

from pipelines.layout import Layout
from pipelines.provenance import sha256_of
from pipelines.sheets import source_id_for
from pipelines.sources import registry_dir
from pipelines.spreadsheets import SPREADSHEET_SUFFIXES

FILES_GROUP = "raw"
PACKAGE = Path(__file__).parent
# Code that only the later stages run, in stage order: left out of the code version of the stages before them.
LATER_STAGE_CODE = (("charts", ("charts", "assets/charts.py")), ("reports", ("report",)))


def files_key(source_id: str) -> dg.AssetKey:
    """The external asset standing for one source's files under `data/raw/`."""
    return dg.AssetKey(["files", source_id])


def owner(layout: Layout, relative: str) -> str | None:
    """The source id a file under `data/raw/` belongs to, if any."""
    path = layout.raw_dir / relative
    parts = Path(relative).parts
    if path.parent == layout.figures_dir and path.name.endswith(".meta.yml"):
        return source_id_for(Path(path.name.removesuffix(".meta.yml") + ".csv"))
    if path.parent == layout.figures_dir and path.suffix.lower() in (".csv", *SPREADSHEET_SUFFIXES):
        return source_id_for(path)
    if path.parent == registry_dir(layout) and path.suffix == ".yml":
        return path.stem
    if len(parts) >= 3 and parts[0] == "eurostat":
        return f"eurostat_{parts[1]}"
    return None


def observed_versions(layout: Layout) -> dict[str, str]:
    """Each source's data version: the sha256 of the names and contents of every file it owns in `data/raw/`."""
    listed: dict[str, list[str]] = defaultdict(list)
    for path in sorted(layout.raw_dir.rglob("*")):
        relative = path.relative_to(layout.raw_dir)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        source_id = owner(layout, relative.as_posix())
        if source_id:
            listed[source_id].append(f"{relative.as_posix()}\0{sha256_of(path)}")
    return {source: hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32] for source, lines in listed.items()}


def observation(source_id: str, version: str) -> dg.AssetObservation:
    """The event that records a source's files at `version` (its data version)."""
    return dg.AssetObservation(asset_key=files_key(source_id), tags={"dagster/data_version": version})


def record_changed_files(instance: dg.DagsterInstance, layout: Layout, known: set[dg.AssetKey]) -> list[str]:
    """Record an observation for every source whose files differ from the last one recorded; their ids."""
    changed = []
    for source_id, version in observed_versions(layout).items():
        key = files_key(source_id)
        if key not in known:
            continue
        record = instance.get_latest_data_version_record(key, is_source=True)
        recorded = record.event_log_entry.tags.get("dagster/data_version") if record else None
        if recorded != version:
            instance.report_runless_asset_event(observation(source_id, version))
            changed.append(source_id)
    return changed


@functools.cache
def code_version(group: str) -> str:
    """sha256 of the package's code and vocabulary that assets of `group` run (later stages' code left out)."""
    stages = [stage for stage, _ in LATER_STAGE_CODE]
    first_later = stages.index(group) + 1 if group in stages else 0
    excluded = [PACKAGE / part for _, parts in LATER_STAGE_CODE[first_later:] for part in parts]
    digest = hashlib.sha256()
    for path in sorted([*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.csv")]):
        if not any(path == part or part in path.parents for part in excluded):
            digest.update(f"{path.relative_to(PACKAGE).as_posix()}\0".encode() + path.read_bytes())
    return digest.hexdigest()[:24]


def _versioned(spec: dg.AssetSpec) -> dg.AssetSpec:
    deps = list(spec.deps)
    if spec.group_name == "raw" and spec.key.path[0] == "raw":
        deps.append(dg.AssetDep(files_key(spec.key.path[-1])))
    return spec.replace_attributes(code_version=code_version(spec.group_name or ""), deps=deps)


def with_versions(assets: list[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """The assets with code versions, each raw asset depending on its source's `files/` asset."""
    return dg.map_asset_specs(_versioned, assets)


def files_asset(layout: Layout, assets: list[dg.AssetsDefinition]) -> dg.AssetsDefinition:
    """The observable `files/<source>` asset of each raw asset ("Observe sources" in the UI records them too)."""
    sources = [key.path[-1] for asset in assets for key in asset.keys if key.path[0] == "raw"]
    specs = [
        dg.AssetSpec(
            files_key(source_id),
            group_name=FILES_GROUP,
            kinds={"file"},
            description=(
                f"The files of source `{source_id}` under data/raw/ as they are on disk. Their sha256 is recorded "
                "(as this asset's data version) by `make run`, the raw_files_changed sensor and \"Observe "
                f'sources"; a new one makes raw/{source_id} and everything downstream stale.'
            ),
        )
        for source_id in sources
    ]
    with warnings.catch_warnings(category=dg.BetaWarning, action="ignore"):

        @dg.multi_observable_source_asset(name="source_files", specs=specs, can_subset=True)
        def source_files(context: dg.AssetExecutionContext):
            versions = observed_versions(layout)
            for key in sorted(context.selected_asset_keys):
                yield dg.ObserveResult(asset_key=key, data_version=dg.DataVersion(versions.get(key.path[-1], "none")))

    return source_files
