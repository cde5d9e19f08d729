"""The raw and staging assets of every source, whatever its kind (`pipelines.kinds.registry`).

Each source gets one raw asset (the file as obtained, its checksum and provenance, the kind's raw checks) and
one staging asset (the file read into the observation schema). Every staging asset runs the same observation
suite with its kind's quarantine policy, keeps what it refused in `data/curated/rejected/<source_id>.csv`,
adds its checks to the run's validation report, and stages its rows and provenance for the warehouse. A
blocking check that fails stops the run before anything is staged.
"""

from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

import dagster as dg

from pipelines.assets.metadata import failure
from pipelines.kinds.base import RawReading, Source, SourceKind, SourceUnavailable, StagedReading
from pipelines.kinds.registry import discover_sources
from pipelines.layout import Layout
from pipelines.markdown import markdown_table
from pipelines.problems import BadInputError
from pipelines.schema import OBSERVATION_COLUMNS
from pipelines.validation.checks import validate_staged
from pipelines.validation.rejected import record_rejected
from pipelines.validation.staging import conclude_checks, observations_check_spec
from pipelines.warehouse import staged_files, write_provenance, write_staged

PREVIEW_ROWS = 10


class DownloadConfig(dg.Config):
    """`download: true` fetches the source from its producer before registering the newest copy."""

    download: bool = False


def raw_key(source_id: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source_id])


def staged_key(source_id: str) -> dg.AssetKey:
    return dg.AssetKey(["staging", source_id])


def _specs(key: dg.AssetKey, checks: dict[str, str]) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(name, asset=key, description=text, blocking=True) for name, text in checks.items()]


Reading = TypeVar("Reading", RawReading, StagedReading)


def _read(context: dg.AssetExecutionContext, layout: Layout, source: Source, step: Callable[[], Reading]) -> Reading:
    """Run a kind's step; bad input is kept as rejected rows and fails the step naming file, row and column."""
    try:
        reading = step()
    except BadInputError as error:
        record_rejected(layout, source.source_id, error.problems, context.run_id)
        raise failure(error) from error
    for message in reading.warnings:
        context.log.warning(message)
    return reading


def _unavailable(
    context: dg.AssetExecutionContext, key: dg.AssetKey, error: SourceUnavailable, checks: Mapping[str, str]
) -> Iterator[dg.AssetCheckResult]:
    """Fail the step with the source's message, and the check it names if the asset has it (nothing downstream
    runs)."""
    if error.check in checks:
        yield dg.AssetCheckResult(asset_key=key, check_name=error.check, passed=False, description=str(error))
    context.log.error(str(error))
    raise dg.Failure(description=str(error)) from error


def source_assets(layout: Layout, kind: SourceKind, source: Source) -> list[dg.AssetsDefinition]:
    """The raw and staging assets of one source, with their checks."""
    key_raw, key_staged = raw_key(source.source_id), staged_key(source.source_id)

    def raw_step(context: dg.AssetExecutionContext, download: bool) -> Iterator:
        try:
            reading = _read(context, layout, source, lambda: kind.read_raw(layout, source, key_raw, download))
        except SourceUnavailable as error:
            yield from _unavailable(context, key_raw, error, kind.raw_checks)
        for message in reading.messages:
            context.log.info(message)
        yield dg.MaterializeResult(metadata=reading.metadata, data_version=dg.DataVersion(reading.data_version))
        if reading.outcomes:
            yield from conclude_checks(context, layout, source.source_id, reading.outcomes, reading.rejected)

    raw_options = dict(
        key=key_raw,
        group_name="raw",
        kinds=kind.asset_kinds(source),
        tags={"source_kind": "official" if kind.official else "curated"},
        check_specs=_specs(key_raw, kind.raw_checks),
        description=kind.describe_raw(layout, source),
    )
    if kind.official:

        @dg.asset(**raw_options)
        def raw(context: dg.AssetExecutionContext, config: DownloadConfig):
            yield from raw_step(context, config.download)

    else:

        @dg.asset(**raw_options)
        def raw(context: dg.AssetExecutionContext):
            yield from raw_step(context, False)

    @dg.asset(
        key=key_staged,
        deps=[key_raw],
        group_name="staging",
        kinds={"pandas", "parquet"},
        check_specs=[*_specs(key_staged, kind.staging_checks), observations_check_spec(key_staged)],
        description=kind.describe_staged(layout, source),
    )
    def staged(context: dg.AssetExecutionContext):
        try:
            reading = _read(context, layout, source, lambda: kind.stage(layout, source, key_staged))
        except SourceUnavailable as error:
            yield from _unavailable(context, key_staged, error, kind.staging_checks)
        checked = validate_staged(
            reading.observations,
            asset_key=key_staged,
            source_kind=kind.name,
            file=reading.file,
            columns_as_in_source=reading.columns_as_in_source,
            locate=reading.locate,
        )
        outcomes = [*reading.outcomes, checked.outcome]
        rejected = reading.rejected + checked.rejected
        if any(outcome.blocks for outcome in outcomes):
            yield from conclude_checks(context, layout, source.source_id, outcomes, rejected)
        frame = checked.kept[list(OBSERVATION_COLUMNS)]
        parquet, provenance_file = staged_files(layout, source.source_id)
        write_staged(frame, parquet)
        write_provenance(provenance_file, {**reading.provenance, "row_count": len(frame)})
        preview = frame[kind.preview_columns].head(PREVIEW_ROWS).values.tolist()
        yield dg.MaterializeResult(
            metadata={
                "staged": dg.MetadataValue.path(layout.relative(parquet)),
                "dagster/row_count": len(frame),
                "rejected_rows": len(rejected),
                **reading.metadata,
                "preview": dg.MetadataValue.md(markdown_table(kind.preview_columns, preview, len(frame))),
            }
        )
        yield from conclude_checks(context, layout, source.source_id, outcomes, rejected)

    return [raw, staged]


def all_source_assets(layout: Layout) -> tuple[list[dg.AssetsDefinition], dict[str, dg.AssetKey]]:
    """Every source's raw and staging assets, and each source's staging key (what the warehouse reads)."""
    found = discover_sources(layout)
    assets = [asset for kind, source in found for asset in source_assets(layout, kind, source)]
    return assets, {source.source_id: staged_key(source.source_id) for _, source in found}
