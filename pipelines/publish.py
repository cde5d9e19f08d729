"""Publishing the DuckDB warehouse into a PostgreSQL schema for a team's BI tools, all of it or nothing.

Every table is copied into a fresh staging schema; then, in the same transaction, the staging schema is
renamed over the published one and the old one dropped. Readers see the previous publication until the
commit and the new one after it, never a mix; a failure anywhere rolls everything back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import lazy_loader as lazy

from pipelines.warehouse import ANALYST_TABLES

duckdb = lazy.load("duckdb", error_on_import=True)
psycopg = lazy.load("psycopg", error_on_import=True)

URL_ENV = "ENFORCEMENT_PUBLISH_URL"
SCHEMA_ENV = "ENFORCEMENT_PUBLISH_SCHEMA"
READER_ROLE_ENV = "ENFORCEMENT_PUBLISH_READER_ROLE"
DEFAULT_SCHEMA = "enforcement"
DEFAULT_READER_ROLE = "enforcement_reader"
PUBLISHED_TABLES = (*ANALYST_TABLES, "observations_cited")
BATCH_ROWS = 10_000
LOCK_TIMEOUT = "2min"  # how long to wait for readers still inside a query on the old tables
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,47}")

# DuckDB column types and the PostgreSQL types they are published as; anything else is published as text.
POSTGRES_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric",
    "HUGEINT": "numeric",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "VARCHAR": "text",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval",
    "UUID": "uuid",
    "BLOB": "bytea",
}


class PublishError(RuntimeError):
    """The publication target is misconfigured; nothing was changed in it."""


@dataclass(frozen=True)
class PublishTarget:
    """Where to publish: a PostgreSQL connection URL, the schema to publish into, the role that may read it."""

    url: str
    schema: str = DEFAULT_SCHEMA
    reader_role: str = DEFAULT_READER_ROLE

    def __post_init__(self) -> None:
        for what, name in (("schema", self.schema), ("reader role", self.reader_role)):
            if not IDENTIFIER.fullmatch(name):
                raise PublishError(f"publish {what} {name!r}: expected lower-case letters, digits and _ (max 48)")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> PublishTarget | None:
        """The target configured by ENFORCEMENT_PUBLISH_URL (and _SCHEMA, _READER_ROLE), or None if unset."""
        url = environ.get(URL_ENV, "").strip()
        if not url:
            return None
        return cls(
            url=url,
            schema=environ.get(SCHEMA_ENV) or DEFAULT_SCHEMA,
            reader_role=environ.get(READER_ROLE_ENV) or DEFAULT_READER_ROLE,
        )

    def describe(self) -> str:
        """The target without its password, for logs and metadata."""
        info = psycopg.conninfo.conninfo_to_dict(self.url)
        user, host, port, database = (info.get(key) or "" for key in ("user", "host", "port", "dbname"))
        return f"postgresql://{user}@{host}:{port or 5432}/{database}"

    @property
    def staging_schema(self) -> str:
        return f"{self.schema}__publishing"

    @property
    def previous_schema(self) -> str:
        return f"{self.schema}__previous"


def postgres_type(duckdb_type: str) -> str | None:
    """The PostgreSQL type for a DuckDB column type, or None when it is published as text."""
    if duckdb_type in POSTGRES_TYPES:
        return POSTGRES_TYPES[duckdb_type]
    if decimal := re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", duckdb_type):
        return f"numeric({decimal[1]},{decimal[2]})"
    if duckdb_type.endswith("[]") and duckdb_type[:-2] in POSTGRES_TYPES:
        return POSTGRES_TYPES[duckdb_type[:-2]] + "[]"
    if duckdb_type.startswith(("STRUCT", "MAP")) or duckdb_type.endswith("[]"):
        return "jsonb"  # nested values (e.g. preferred_observations.alternatives) keep their structure
    return None


def publish_warehouse(
    warehouse: Path,
    target: PublishTarget,
    comments: Mapping[str, str] | None = None,
    note: str = "",
    lock_timeout: str = LOCK_TIMEOUT,
) -> dict[str, int]:
    """Copy every published table from the DuckDB file at `warehouse` into `target`; return rows per table.

    `comments` become the tables' descriptions in PostgreSQL (BI tools show them); `note` the schema's. A reader
    still inside a transaction on the old tables delays the swap up to `lock_timeout`, then it is rolled back.
    """
    comments = comments or {}
    with duckdb.connect(str(warehouse), read_only=True) as source, psycopg.connect(target.url) as pg:
        pg.execute(psycopg.sql.SQL("SET LOCAL lock_timeout = {}").format(lock_timeout))
        pg.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"enforcement publish {target.schema}"])
        if not pg.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [target.reader_role]).fetchone():
            raise PublishError(
                f"role {target.reader_role} does not exist in {target.describe()}: create it first "
                f"(CREATE ROLE {target.reader_role} NOLOGIN; see deploy/README.md) or set {READER_ROLE_ENV}"
            )
        staging, previous, schema = (
            psycopg.sql.Identifier(name) for name in (target.staging_schema, target.previous_schema, target.schema)
        )
        pg.execute(psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(staging))
        pg.execute(psycopg.sql.SQL("CREATE SCHEMA {}").format(staging))
        counts = {table: _copy_table(source, pg, table, target.staging_schema) for table in PUBLISHED_TABLES}
        for table in comments.keys() & counts.keys():
            published = psycopg.sql.Identifier(target.staging_schema, table)
            pg.execute(psycopg.sql.SQL("COMMENT ON TABLE {} IS {}").format(published, comments[table]))
        pg.execute(
            psycopg.sql.SQL("COMMENT ON SCHEMA {} IS {}").format(staging, note or "enforcement statistics warehouse")
        )
        reader = psycopg.sql.Identifier(target.reader_role)
        pg.execute(psycopg.sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(staging, reader))
        pg.execute(psycopg.sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(staging, reader))
        exists = pg.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [target.schema]).fetchone()
        if exists:
            pg.execute(psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(previous))
            pg.execute(psycopg.sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(schema, previous))
        pg.execute(psycopg.sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(staging, schema))
        pg.execute(psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(previous))
    return counts


def _copy_table(source: duckdb.DuckDBPyConnection, pg: psycopg.Connection, table: str, schema: str) -> int:
    """Create `schema.table` like the DuckDB table or view and COPY its rows in, in binary; return the count."""
    columns = source.execute(
        "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ? "
        "ORDER BY column_index",
        [table],
    ).fetchall()
    if not columns:
        raise PublishError(f"the warehouse has no table {table}: rebuild it before publishing")
    keys = source.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ? "
        "AND constraint_type = 'PRIMARY KEY'",
        [table],
    ).fetchone()
    types = [postgres_type(kind) or "text" for _, kind, _ in columns]
    definitions = [
        psycopg.sql.SQL("{} {}{}").format(
            psycopg.sql.Identifier(name), psycopg.sql.SQL(kind), psycopg.sql.SQL("" if nullable else " NOT NULL")
        )
        for (name, _, nullable), kind in zip(columns, types, strict=True)
    ]
    if keys:
        definitions.append(
            psycopg.sql.SQL("PRIMARY KEY ({})").format(psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, keys[0])))
        )
    pg.execute(
        psycopg.sql.SQL("CREATE TABLE {} ({})").format(
            psycopg.sql.Identifier(schema, table), psycopg.sql.SQL(", ").join(definitions)
        )
    )
    selected = ", ".join(_selected(name, kind) for name, kind, _ in columns)
    nested = [kind == "jsonb" for kind in types]
    cursor = source.execute(f'SELECT {selected} FROM "{table}"')
    rows = 0
    copy_sql = psycopg.sql.SQL("COPY {} FROM STDIN (FORMAT BINARY)").format(psycopg.sql.Identifier(schema, table))
    with pg.cursor().copy(copy_sql) as copy:
        copy.set_types([re.sub(r"\(.*\)", "", kind) for kind in types])  # numeric(18,3) -> numeric
        while batch := cursor.fetchmany(BATCH_ROWS):
            for row in batch:
                copy.write_row([_as_jsonb(value) if json else value for value, json in zip(row, nested, strict=True)])
            rows += len(batch)
    return rows


def _selected(name: str, duckdb_type: str) -> str:
    """The column as it is copied: as it is, as JSON text (nested types) or as text (anything else)."""
    kind = postgres_type(duckdb_type)
    if kind == "jsonb":
        return f'to_json("{name}")'
    return f'"{name}"' if kind else f'CAST("{name}" AS VARCHAR)'


def _as_jsonb(text: str | None) -> object:
    """JSON text from DuckDB, sent to PostgreSQL as jsonb without parsing it again."""
    from psycopg.types.json import Jsonb

    return None if text is None else Jsonb(text, dumps=str)
