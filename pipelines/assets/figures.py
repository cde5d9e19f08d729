"""Raw and staging assets for curated figure sheets: one pair per CSV in `data/raw/figures/`, each with its
validation checks (blocking: a curated sheet with any bad row stops the run before the warehouse)."""

import json

import dagster as dg
import lazy_loader as lazy

from pipelines import sheets
from pipelines.assets.metadata import failure, markdown_table
from pipelines.files import replaced_on_success
from pipelines.layout import Layout, UnsafePathError
from pipelines.problems import BadInputError, Problem
from pipelines.provenance import Origin, read_origin, sha256_of, sidecar_path
from pipelines.schema import OBSERVATION_COLUMNS
from pipelines.validation.checks import CURATED_KIND, WARN, CheckOutcome, validate_staged
from pipelines.validation.rejected import record_rejected
from pipelines.validation.results import RuleResult
from pipelines.validation.rules import ORIGIN, READABLE, sheet_cells_suite, sheet_structure_suite
from pipelines.validation.staging import conclude_checks, observations_check_spec
from pipelines.warehouse import write_staged

pd = lazy.load("pandas", error_on_import=True)

PREVIEW_COLUMNS = ["figure_id", "jurisdiction", "period_end", "measure", "value", "unit"]
RAW_PREVIEW_COLUMNS = ["figure_id", "jurisdiction_iso3", "period_end", "measure", "value", "unit", "publisher"]
RAW_CHECKS = {
    "structure": (
        "The file reads as a UTF-8 CSV with exactly the reference columns (or those of a sheet written before "
        "`source_type` and `breakdown`) and at least one figure row."
    ),
    "origin": "The origin sidecar names producer, title, citation, access date and licence (missing: warning).",
}
STAGING_CHECKS = {
    "cells_readable": "Numbers are written with digits only, dates as YYYY-MM-DD, and no cell holds a formula.",
}


def _raw_preview(cells: "pd.DataFrame | None") -> str:
    """The sheet's first rows as the analyst typed them."""
    if cells is None:
        return "unreadable: see the structure check"
    shown = cells.reindex(columns=RAW_PREVIEW_COLUMNS).head(5).astype(object)
    return markdown_table(RAW_PREVIEW_COLUMNS, shown.where(shown.notna(), None).values.tolist(), len(cells))


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


def _specs(key: dg.AssetKey, checks: dict[str, str]) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(name, asset=key, description=text, blocking=True) for name, text in checks.items()]


def _code_check(key: dg.AssetKey, name: str, rule, problems: list[Problem], **kwargs) -> CheckOutcome:
    return CheckOutcome(key, name, (RuleResult(rule, len(problems), tuple(problems)),), **kwargs)


def write_sheet_staging(layout: Layout, sheet: sheets.Sheet, frame: "pd.DataFrame", origin: Origin | None) -> None:
    """Stage a sheet's checked observations and its provenance record (the row of `sources`)."""
    parquet, provenance_file = staged_files(layout, sheet.source_id)
    write_staged(frame, parquet)
    provenance = {
        "source_id": sheet.source_id,
        "kind": CURATED_KIND,
        "raw_path": layout.relative(sheet.path),
        "sha256": sha256_of(sheet.path),
        "size_bytes": sheet.path.stat().st_size,
        "row_count": len(frame),
        **(origin.as_dict() if origin else {"title": sheet.name}),
        "retrieved_at": origin.date_accessed if origin else None,
    }
    with replaced_on_success(provenance_file) as temporary:
        temporary.write_text(json.dumps(provenance, indent=2, ensure_ascii=False), encoding="utf-8")


def figure_sheet_assets(layout: Layout, sheet: sheets.Sheet) -> list[dg.AssetsDefinition]:
    """The raw and staging assets of one figure sheet, with their checks."""
    shown_as = layout.relative(sheet.path)
    key_raw, key_staged = raw_key(sheet.source_id), staged_key(sheet.source_id)

    @dg.asset(
        key=key_raw,
        group_name="raw",
        kinds={"csv"},
        tags={"source_kind": "curated"},
        check_specs=_specs(key_raw, RAW_CHECKS),
        description=(
            f"The curated figure sheet `{shown_as}` exactly as committed: every row a published figure with "
            "its publisher, URL and exact quote. Changes when an analyst edits the sheet."
        ),
    )
    def raw_sheet(context: dg.AssetExecutionContext):
        try:
            layout.inside_data(sheet.path)
        except UnsafePathError as error:
            problem = Problem(shown_as, None, None, str(sheet.path.resolve()), "a file inside data/ (not a link out)")
            record_rejected(layout, sheet.source_id, [problem], context.run_id)
            raise failure(BadInputError([problem])) from error
        try:
            cells, read_problems = sheets.read_sheet(sheet.path, shown_as), []
        except BadInputError as error:
            cells, read_problems = None, error.problems
        if cells is None:
            outcomes = [_code_check(key_raw, "structure", READABLE, read_problems)]
        else:
            from pipelines.validation.expectations import validate_frame

            results = validate_frame(cells, sheet_structure_suite(sheets.expected_columns(cells)), shown_as)
            outcomes = [CheckOutcome(key_raw, "structure", tuple(results))]
        try:
            origin, missing = sheet_origin(layout, sheet)
            outcomes.append(_code_check(key_raw, "origin", ORIGIN, missing, severity=WARN, note="no sidecar"))
        except BadInputError as error:
            origin = None
            outcomes.append(_code_check(key_raw, "origin", ORIGIN, error.problems))
        checksum = sha256_of(sheet.path) if sheet.path.is_file() else "unreadable"
        yield dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(shown_as),
                "sha256": checksum,
                "size_bytes": sheet.path.stat().st_size if sheet.path.exists() else 0,
                "dagster/row_count": 0 if cells is None else len(cells),
                "origin": dg.MetadataValue.json(origin.as_dict() if origin else {}),
                "preview": dg.MetadataValue.md(_raw_preview(cells)),
            },
            data_version=dg.DataVersion(checksum),
        )
        problems = [p for outcome in outcomes if outcome.blocks for p in outcome.problems]
        yield from conclude_checks(context, layout, sheet.source_id, outcomes, problems)

    @dg.asset(
        key=key_staged,
        deps=[key_raw],
        group_name="staging",
        kinds={"pandas", "parquet"},
        check_specs=[*_specs(key_staged, STAGING_CHECKS), observations_check_spec(key_staged)],
        description=(
            f"`{shown_as}` parsed into the common observation schema (one row per figure, typed, with its "
            "citation). A sheet with any bad row stops here: fix the rows named in the failure message."
        ),
    )
    def staged_sheet(context: dg.AssetExecutionContext):
        from pipelines.validation.expectations import validate_frame

        try:
            cells = sheets.read_sheet(sheet.path, shown_as)
            origin, _ = sheet_origin(layout, sheet)
        except BadInputError as error:
            raise failure(error) from error
        formats = CheckOutcome(
            key_staged,
            "cells_readable",
            tuple(validate_frame(cells, sheet_cells_suite(sheets.text_columns(cells)), shown_as)),
        )
        unreadable = {str(problem.row) for problem in formats.problems}
        typed = sheets.to_observations(cells[~cells["_row"].isin(unreadable)], sheet.source_id)
        checked = validate_staged(
            typed,
            asset_key=key_staged,
            source_kind=CURATED_KIND,
            file=shown_as,
            columns_as_in_source=sheets.SHEET_NAME_OF,
        )
        rejected = formats.problems + checked.rejected
        if formats.blocks or checked.outcome.blocks:
            yield from conclude_checks(context, layout, sheet.source_id, [formats, checked.outcome], rejected)
        frame = checked.kept[list(OBSERVATION_COLUMNS)]
        write_sheet_staging(layout, sheet, frame, origin)
        yield dg.MaterializeResult(
            metadata={
                "staged": dg.MetadataValue.path(layout.relative(staged_files(layout, sheet.source_id)[0])),
                "dagster/row_count": len(frame),
                "rejected_rows": len(rejected),
                "preview": dg.MetadataValue.md(
                    markdown_table(PREVIEW_COLUMNS, frame[PREVIEW_COLUMNS].head(10).values.tolist())
                ),
            }
        )
        yield from conclude_checks(context, layout, sheet.source_id, [formats, checked.outcome], rejected)

    return [raw_sheet, staged_sheet]
