"""The column catalog: every column of every warehouse table and view is described, in the UI, in the README
and in the data package, from one file (`pipelines/columns.yml`)."""

import json

import dagster as dg
import duckdb

from conftest import REPO
from pipelines import columns
from pipelines.definitions import build_definitions
from pipelines.layout import Layout
from pipelines.report.datapackage import CATALOG_TABLES


def warehouse_columns(layout: Layout) -> dict[str, list[str]]:
    """Every table and view of the warehouse → its columns, as DuckDB has them."""
    with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main' "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
    found: dict[str, list[str]] = {}
    for table, column in rows:
        found.setdefault(table, []).append(column)
    return found


def test_the_catalog_describes_every_column_of_every_table_and_view(built):
    undescribed = [
        f"{table}.{column}"
        for table, names in warehouse_columns(built).items()
        for column in names
        if not columns.describe(table, column)
    ]
    assert not undescribed, f"describe these columns in pipelines/columns.yml: {undescribed}"


def test_the_ui_shows_each_columns_type_and_description(built_run):
    shown = {}
    for event in built_run.events:
        if event.event_type_value != "ASSET_MATERIALIZATION" or event.step_key != "warehouse":
            continue
        materialization = event.event_specific_data.materialization
        schema = materialization.metadata["dagster/column_schema"].value
        shown[materialization.asset_key.to_user_string()] = [(c.name, c.type, c.description) for c in schema.columns]
    in_warehouse = warehouse_columns(built_run.layout)
    assert set(shown) == set(in_warehouse), "every table and view is an asset with its columns"
    for table, described in shown.items():
        assert [name for name, *_ in described] == in_warehouse[table]
        assert all(kind and description for _, kind, description in described), table


def test_staging_assets_describe_their_columns_before_any_run():
    defs = build_definitions(Layout(REPO))
    staging = [spec for asset in defs.assets for spec in asset.specs if spec.group_name == "staging"]
    assert staging
    for spec in staging:
        schema: dg.TableSchema = spec.metadata["dagster/column_schema"]
        assert all(column.description for column in schema.columns), spec.key


def test_the_readme_section_is_built_from_the_catalog():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert columns.readme_section() in readme, "run .venv/bin/python -m pipelines.columns to rewrite the README"


def test_the_data_package_fields_carry_the_same_descriptions(built):
    package = json.loads((built.report_dir / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        table = CATALOG_TABLES[resource["name"]]
        for field in resource["schema"]["fields"]:
            assert field["description"] == columns.describe(table, field["name"]), (resource["name"], field["name"])
