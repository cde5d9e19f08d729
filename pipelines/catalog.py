"""What the UI shows about an asset before it has ever run: declared table schemas and links to the code."""

import warnings

import dagster as dg

from pipelines import columns
from pipelines.schema import OBSERVATION_COLUMNS

STAGING_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn(name, kind, description=columns.describe("observations", name))
        for name, kind in OBSERVATION_COLUMNS.items()
    ]
)


def _declared(spec: dg.AssetSpec) -> dg.AssetSpec:
    if spec.group_name == "staging" and "dagster/column_schema" not in spec.metadata:
        # Every staging asset writes the common observation schema (pipelines/schema.py).
        return spec.merge_attributes(metadata={"dagster/column_schema": STAGING_SCHEMA})
    return spec


def with_catalog(assets: list[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """The assets with their declared schemas and "open in editor" links to the file and line defining them."""
    with warnings.catch_warnings(category=dg.BetaWarning, action="ignore"):
        return dg.with_source_code_references(dg.map_asset_specs(_declared, assets))
