"""Raw and staging assets for curated figure sheets: one pair per CSV in `data/raw/figures/`."""

import json

import dagster as dg

from pipelines import sheets
from pipelines.assets.metadata import failure, markdown_table, problems_markdown
from pipelines.exports import write_csv
from pipelines.files import replaced_on_success
from pipelines.layout import Layout
from pipelines.problems import BadInputError, Problem
from pipelines.provenance import Origin, read_origin, sha256_of, sidecar_path
from pipelines.warehouse import write_staged

PREVIEW_COLUMNS = ["figure_id", "jurisdiction", "period_end", "measure", "value", "unit"]
RAW_PREVIEW_COLUMNS = ["figure_id", "jurisdiction_iso3", "period_end", "measure", "value", "unit", "publisher"]


def raw_key(source_id: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source_id])


def staged_key(source_id: str) -> dg.AssetKey:
    return dg.AssetKey(["staging", source_id])


def sheet_origin(layout: Layout, sheet: sheets.Sheet) -> tuple[Origin | None, list[Problem]]:
    """The sheet's declared origin, or None with a problem saying the sidecar is missing."""
    meta = sidecar_path(sheet.path)
    if not meta.exists():
        shown = layout.relative(meta)
        return None, [Problem(shown, None, None, None, "an origin sidecar for this sheet (producer, title, ...)")]
    return read_origin(meta, layout.relative(meta)), []


def staged_files(layout: Layout, source_id: str) -> tuple:
    """Where a source's staged observations and provenance record live."""
    return layout.staging_dir / f"{source_id}.parquet", layout.staging_dir / f"{source_id}.source.json"


def figure_sheet_assets(layout: Layout, sheet: sheets.Sheet) -> list[dg.AssetsDefinition]:
    """The raw and staging assets of one figure sheet."""
    shown_as = layout.relative(sheet.path)

    @dg.asset(
        key=raw_key(sheet.source_id),
        group_name="raw",
        kinds={"csv"},
        description=(
            f"The curated figure sheet `{shown_as}` exactly as committed: every row a published figure with "
            "its publisher, URL and exact quote. Changes when an analyst edits the sheet."
        ),
    )
    def raw_sheet(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        try:
            records = sheets.read_sheet(sheet.path, shown_as)
            origin, origin_problems = sheet_origin(layout, sheet)
        except BadInputError as error:
            raise failure(error) from error
        checksum = sha256_of(sheet.path)
        for problem in origin_problems:
            context.log.warning(str(problem))
        metadata = {
            "path": dg.MetadataValue.path(shown_as),
            "sha256": checksum,
            "size_bytes": sheet.path.stat().st_size,
            "dagster/row_count": len(records),
            "origin": dg.MetadataValue.json(origin.as_dict() if origin else {}),
            "preview": dg.MetadataValue.md(
                markdown_table(
                    RAW_PREVIEW_COLUMNS, [[r.get(c) for c in RAW_PREVIEW_COLUMNS] for r in records[:5]], len(records)
                )
            ),
        }
        return dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(checksum))

    @dg.asset(
        key=staged_key(sheet.source_id),
        deps=[raw_key(sheet.source_id)],
        group_name="staging",
        kinds={"pandas", "parquet"},
        description=(
            f"`{shown_as}` parsed into the common observation schema (one row per figure, typed, with its "
            "citation). A sheet with any bad row stops here: fix the rows named in the failure message."
        ),
    )
    def staged_sheet(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        try:
            frame, problems, rejected = sheets.parse_sheet(sheet, shown_as)
            origin, _ = sheet_origin(layout, sheet)
        except BadInputError as error:
            raise failure(error) from error
        rejected_file = layout.rejected_dir / f"{sheet.source_id}.csv"
        if problems:
            write_csv(rejected_file, ["row", *sheets.SHEET_COLUMNS], [{"row": r["_row"], **r} for r in rejected])
            error = BadInputError(problems)
            context.log.error(str(error))
            raise failure(error)
        rejected_file.unlink(missing_ok=True)
        parquet, provenance_file = staged_files(layout, sheet.source_id)
        write_staged(frame, parquet)
        provenance = {
            "source_id": sheet.source_id,
            "kind": "figure_sheet",
            "raw_path": shown_as,
            "sha256": sha256_of(sheet.path),
            "size_bytes": sheet.path.stat().st_size,
            "row_count": len(frame),
            **(origin.as_dict() if origin else {"title": sheet.name}),
            "retrieved_at": origin.date_accessed if origin else None,
        }
        with replaced_on_success(provenance_file) as temporary:
            temporary.write_text(json.dumps(provenance, indent=2, ensure_ascii=False), encoding="utf-8")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(frame),
                "rejected_rows": len(rejected),
                "problems": dg.MetadataValue.md(problems_markdown(problems)) if problems else "none",
                "preview": dg.MetadataValue.md(
                    markdown_table(PREVIEW_COLUMNS, frame[PREVIEW_COLUMNS].head(10).values.tolist())
                ),
            }
        )

    return [raw_sheet, staged_sheet]
