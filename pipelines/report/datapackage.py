"""The comparisons as a Frictionless data package: datapackage.json describing CSV files, sources and licences."""

import json
from pathlib import Path

import duckdb

from pipelines import columns
from pipelines.exports import write_csv
from pipelines.files import replaced_on_success
from pipelines.report.selection import EVERYTHING, Selection

NAME = "enforcement-comparisons"
# DuckDB type → Table Schema type (lists are written as 'a;b' strings).
FIELD_TYPES = {"VARCHAR": "string", "DOUBLE": "number", "BIGINT": "integer", "INTEGER": "integer", "DATE": "date"}
RESOURCES = {
    "comparisons": (
        "Each migrants-side figure paired with each employers-side figure for the same place and exact period, "
        "with the ratio where both count people or organisations and what the ratio is (exact, approximate, a "
        "lower or upper bound, not comparable). figure_ids lead to figures.csv.",
        "SELECT * FROM comparisons WHERE {where}",
        ["figure_ids"],
    ),
    "figures": (
        "Every figure with its citation: publisher, source title and URL, the exact quote and its language, notes "
        "(English gloss), the raw file's path and sha256 and the date it was obtained.",
        "SELECT * EXCLUDE (retrieved_at) FROM observations_cited WHERE {where} ORDER BY figure_id",
        ["figure_id"],
    ),
    "sources": (
        "One row per source dataset: producer, title, citation, licence, dates, raw file and checksum.",
        "SELECT * FROM sources WHERE source_id IN (SELECT source_id FROM observations WHERE {where}) "
        "ORDER BY source_id",
        ["source_id"],
    ),
}
# The warehouse table or view each resource is read from, whose column descriptions its fields carry.
CATALOG_TABLES = {"comparisons": "comparisons", "figures": "observations_cited", "sources": "sources"}
LICENCE_URLS = {"CC BY 4.0": ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/")}


def licence(text: str) -> dict[str, str]:
    """A Data Package licence entry for a source's licence text (an Open Definition id where one fits)."""
    for marker, (name, path) in LICENCE_URLS.items():
        if marker in text:
            return {"name": name, "path": path, "title": text}
    return {"name": "other-at", "title": text}


def _schema(con: duckdb.DuckDBPyConnection, sql: str, key: list[str], table: str) -> dict:
    described = con.execute(f"DESCRIBE {sql.format(where='TRUE')}").fetchall()
    fields = [
        {"name": name, "type": FIELD_TYPES.get(kind, "string"), "description": columns.describe(table, name) or ""}
        | ({"format": "default"} if kind == "DATE" else {})
        for name, kind, *_ in described
    ]
    schema = {"fields": fields, "missingValues": [""]}
    if key != ["figure_ids"]:
        schema["primaryKey"] = key
    return schema


def write_package(
    con: duckdb.DuckDBPyConnection, out: Path, sources: list[dict], selection: Selection = EVERYTHING
) -> dict[str, Path]:
    """Write comparisons.csv, figures.csv, sources.csv (formulas neutralised) of the selection and
    datapackage.json."""
    resources, files = [], {}
    where, parameters = selection.sql()
    for name, (description, sql, key) in RESOURCES.items():
        cursor = con.execute(sql.format(where=where), parameters)
        columns = [column[0] for column in cursor.description]
        rows = [
            {
                column: ";".join(value) if isinstance(value, list) else value
                for column, value in zip(columns, values, strict=True)
            }
            for values in cursor.fetchall()
        ]
        files[name] = out / f"{name}.csv"
        write_csv(files[name], columns, rows)
        resources.append(
            {
                "name": name, "path": files[name].name, "profile": "tabular-data-resource", "format": "csv",
                "mediatype": "text/csv", "encoding": "utf-8", "description": description,
                "schema": _schema(con, sql, key, CATALOG_TABLES[name]),
            }
        )  # fmt: skip
    package = {
        "profile": "tabular-data-package",
        "name": NAME,
        "title": "Immigration enforcement against migrants and against employers: cited comparisons",
        "description": (
            "Published figures on enforcement against migrants and against the employers who hire them, paired for "
            "the same place and period. Text cells that a spreadsheet would run as a formula start with an "
            "apostrophe."
        ),
        "licenses": list({entry["title"]: entry for entry in (licence(s["license"] or "") for s in sources)}.values()),
        "sources": [
            {"title": s["citation_full"] or s["title"], "path": s["url_main"] or s["url_download"] or s["raw_path"]}
            for s in sources
        ],
        "resources": resources,
    }
    files["datapackage"] = out / "datapackage.json"
    with replaced_on_success(files["datapackage"]) as temporary:
        temporary.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return files
