"""What a run changes, compared with the last good warehouse, worked out on the new file before the swap.

- Per source: rows added, removed and changed, matched by `figure_id` (never by row position); each changed
  value (figure id, old → new, with the new quote); comparisons whose ratio moved; sources added or removed.
- The shrink guard: a source that is still declared and would lose more than 20% of its rows, or an official
  dataset that would lose any figure of a year the last good warehouse had, stops the run unless the run
  accepts that source's shrink (`--accept-shrink SOURCE --reason ...`). Removing a sheet file or a registry
  entry is deliberate: it goes through as "source removed".
- The warehouse table `changes` carries every earlier run's rows over and adds this run's; the run's summary
  is written to `data/curated/changes/<run id>.md` once the new warehouse is in place.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from pathlib import Path

import lazy_loader as lazy

from pipelines.files import replaced_on_success
from pipelines.markdown import markdown_table
from pipelines.rows import insert_columns, texts
from pipelines.validation.checks import CURATED_KIND

duckdb = lazy.load("duckdb", error_on_import=True)

SHRINK_LIMIT = 0.2
IDS_SHOWN = 5
UI_ROWS_SHOWN = 20
CHANGE_COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR",
    "recorded_at": "TIMESTAMPTZ",
    "source_id": "VARCHAR",
    "change": "VARCHAR",
    "figure_id": "VARCHAR",
    "old_value": "VARCHAR",
    "new_value": "VARCHAR",
    "quote": "VARCHAR",
    "changed_columns": "VARCHAR",
    "accepted_by": "VARCHAR",
    "reason": "VARCHAR",
}
CHANGE_KINDS = ("added", "removed", "changed", "ratio_moved", "source_added", "source_removed", "shrink_accepted")
NOT_COMPARED = ("figure_id", "locator")  # a locator names the snapshot file, renamed by a refresh of equal values
NUMBER_TEXT = "CASE WHEN {v} = round({v}) THEN CAST(CAST({v} AS HUGEINT) AS VARCHAR) ELSE CAST({v} AS VARCHAR) END"


def create_changes_table(con: duckdb.DuckDBPyConnection) -> None:
    """The empty `changes` table every warehouse has (filled by `record_changes`)."""
    columns = ", ".join(f'"{name}" {kind}' for name, kind in CHANGE_COLUMNS.items())
    con.execute(f"CREATE TABLE changes ({columns})")


@dataclass(frozen=True)
class Shrink:
    """A source that would lose rows beyond the guard's limits."""

    source_id: str
    before: int
    after: int
    missing: list[str]
    years: list[int] = field(default_factory=list)  # an official dataset's years that lose figures

    def row(self) -> list[object]:
        years = ", ".join(str(year) for year in self.years)
        return [self.source_id, self.before, self.after, years, ", ".join(self.missing[:IDS_SHOWN])]


SHRINK_HEADER = ["source", "rows before", "rows after", "official years losing figures", "first missing figure ids"]


class ShrinkRefused(Exception):
    """Sources would shrink without consent: the new warehouse is not swapped in."""

    def __init__(self, shrinks: list[Shrink]) -> None:
        self.shrinks = shrinks
        table = markdown_table(SHRINK_HEADER, [shrink.row() for shrink in shrinks])
        names = " ".join(f"--accept-shrink {shrink.source_id}" for shrink in shrinks)
        super().__init__(
            f"The new warehouse would lose rows the last good one has (more than {SHRINK_LIMIT:.0%} of a source, or "
            f"any figure of an official dataset's year), so it was not swapped in:\n{table}\n"
            f'If this is intended, run again with `python -m pipelines run {names} --reason "..."` (or set '
            "accept_shrink and reason in the warehouse asset's run config)."
        )


@dataclass(frozen=True)
class Consent:
    """Sources whose shrink this run accepts, why, and who accepted it (the operating-system user)."""

    sources: tuple[str, ...] = ()
    reason: str = ""
    by: str = field(default_factory=getpass.getuser)


@dataclass
class Diff:
    """The new warehouse compared with the last good one: change rows and the shrinks found."""

    rows: list[dict[str, object]]
    shrinks: list[Shrink]
    first_version: bool


def _attach_previous(con: duckdb.DuckDBPyConnection, previous: Path) -> bool:
    """Attach the last good warehouse as `previous`; without one, an empty stand-in. True if it existed."""
    if previous.exists():
        con.execute(f"ATTACH '{str(previous).replace(chr(39), chr(39) * 2)}' AS previous (READ_ONLY)")
        return True
    con.execute("ATTACH ':memory:' AS previous")
    for table in ("observations", "sources", "comparisons"):
        con.execute(f"CREATE TABLE previous.{table} AS SELECT * FROM {table} LIMIT 0")
    return False


def _columns(con: duckdb.DuckDBPyConnection, database: str, table: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'main' "
            "AND table_name = ? ORDER BY column_index",
            [database, table],
        ).fetchall()
    ]


def _new_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return _columns(con, con.execute("SELECT current_database()").fetchone()[0], table)


def _figure_changes(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Rows added, removed or changed (any column but the locator), matched by figure id."""
    new_columns = _new_columns(con, "observations")
    shared = [c for c in _columns(con, "previous", "observations") if c in new_columns and c not in NOT_COMPARED]
    differs = " OR ".join(f'o."{c}" IS DISTINCT FROM n."{c}"' for c in shared) or "false"
    changed_list = ", ".join(f'CASE WHEN o."{c}" IS DISTINCT FROM n."{c}" THEN \'{c}\' END' for c in shared)
    cursor = con.execute(f"""
        SELECT coalesce(n.source_id, o.source_id) AS source_id,
               CASE WHEN o.figure_id IS NULL THEN 'added' WHEN n.figure_id IS NULL THEN 'removed'
                    ELSE 'changed' END AS change,
               coalesce(n.figure_id, o.figure_id) AS figure_id,
               {NUMBER_TEXT.format(v="o.value")} AS old_value,
               {NUMBER_TEXT.format(v="n.value")} AS new_value,
               coalesce(n.quote, o.quote) AS quote,
               CASE WHEN o.figure_id IS NOT NULL AND n.figure_id IS NOT NULL
                    THEN concat_ws(', ', {changed_list}) END
                   AS changed_columns,
               year(coalesce(n.period_end, o.period_end)) AS year
        FROM previous.observations o FULL JOIN observations n ON o.figure_id = n.figure_id
        WHERE o.figure_id IS NULL OR n.figure_id IS NULL OR ({differs})
        ORDER BY source_id, change, figure_id
    """)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _source_changes(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Sources declared now but not before, and the other way round, with their row counts."""
    return [
        {"source_id": source_id, "change": change, "old_value": before, "new_value": after}
        for source_id, change, before, after in con.execute("""
            WITH before AS (SELECT source_id, count(o.figure_id) AS n FROM previous.sources
                            LEFT JOIN previous.observations o USING (source_id) GROUP BY source_id),
                 after AS (SELECT source_id, count(o.figure_id) AS n FROM sources
                           LEFT JOIN observations o USING (source_id) GROUP BY source_id)
            SELECT coalesce(a.source_id, b.source_id),
                   CASE WHEN b.source_id IS NULL THEN 'source_added' ELSE 'source_removed' END,
                   CAST(b.n AS VARCHAR), CAST(a.n AS VARCHAR)
            FROM before b FULL JOIN after a USING (source_id)
            WHERE a.source_id IS NULL OR b.source_id IS NULL ORDER BY 1
        """).fetchall()
    ]


def _ratio_changes(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Comparisons of the same two figures whose ratio moved."""
    needed = {"figure_ids", "ratio", "migrants_source_id"}
    if not needed <= set(_columns(con, "previous", "comparisons")) & set(_new_columns(con, "comparisons")):
        return []
    return [
        {"source_id": source_id, "change": "ratio_moved", "figure_id": ids, "old_value": old, "new_value": new}
        for source_id, ids, old, new in con.execute("""
            SELECT n.migrants_source_id, array_to_string(n.figure_ids, ' / '),
                   CAST(round(o.ratio, 4) AS VARCHAR), CAST(round(n.ratio, 4) AS VARCHAR)
            FROM previous.comparisons o JOIN comparisons n ON o.figure_ids = n.figure_ids
            WHERE o.ratio IS DISTINCT FROM n.ratio ORDER BY 1, 2
        """).fetchall()
    ]


def _shrinks(con: duckdb.DuckDBPyConnection, figure_rows: list[dict[str, object]]) -> list[Shrink]:
    """Sources still declared that lose too much: more than the limit, or (official) any figure of a year."""
    counts = con.execute("""
        SELECT s.source_id, s.kind, (SELECT count(*) FROM previous.observations o WHERE o.source_id = s.source_id),
               (SELECT count(*) FROM observations o WHERE o.source_id = s.source_id)
        FROM sources s JOIN previous.sources p USING (source_id) ORDER BY 1
    """).fetchall()
    shrinks = []
    for source_id, kind, before, after in counts:
        removed = [row for row in figure_rows if row["source_id"] == source_id and row["change"] == "removed"]
        official = kind != CURATED_KIND
        if len(removed) > SHRINK_LIMIT * before or (official and removed):
            years = sorted({int(row["year"]) for row in removed}) if official else []
            shrinks.append(Shrink(source_id, before, after, [str(row["figure_id"]) for row in removed], years))
    return shrinks


def compare_with_previous(con: duckdb.DuckDBPyConnection, previous: Path) -> Diff:
    """Compare the warehouse being built (`con`) with the last good one at `previous` (which may not exist)."""
    existed = _attach_previous(con, previous)
    try:
        figures = _figure_changes(con)
        shrinks = _shrinks(con, figures) if existed else []
        rows = figures + _source_changes(con) + _ratio_changes(con)
        if existed and "changes" in {t for (t,) in con.execute("SHOW TABLES FROM previous").fetchall()}:
            kept = [c for c in _columns(con, "previous", "changes") if c in CHANGE_COLUMNS]
            columns = ", ".join(f'"{c}"' for c in kept)
            con.execute(f"INSERT INTO changes ({columns}) SELECT {columns} FROM previous.changes")
    finally:
        con.execute("DETACH previous")
    return Diff(rows, shrinks, first_version=not existed)


def refused(diff: Diff, consent: Consent) -> list[Shrink]:
    """The shrinks this run has not accepted."""
    return [shrink for shrink in diff.shrinks if shrink.source_id not in consent.sources]


def record_changes(con: duckdb.DuckDBPyConnection, diff: Diff, run_id: str, consent: Consent) -> None:
    """Add this run's changes, and the shrinks it accepted (who, why), to the new warehouse's `changes`."""
    accepted = [
        {"source_id": s.source_id, "change": "shrink_accepted", "old_value": str(s.before), "new_value": str(s.after),
         "figure_id": ", ".join(s.missing[:IDS_SHOWN]), "accepted_by": consent.by, "reason": consent.reason}
        for s in diff.shrinks if s.source_id in consent.sources
    ]  # fmt: skip
    rows = diff.rows + accepted
    if not rows:
        return
    values = {"run_id": [run_id] * len(rows)} | {
        name: texts(row.get(name) for row in rows) for name in CHANGE_COLUMNS if name not in ("run_id", "recorded_at")
    }
    insert_columns(con, "changes", values, {"recorded_at": "current_timestamp"})


def run_changes(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> list[dict[str, object]]:
    """The change rows of one run (default: the latest run that recorded any), for summaries and the report."""
    if run_id is None:
        latest = con.execute("SELECT run_id FROM changes ORDER BY recorded_at DESC LIMIT 1").fetchone()
        if latest is None:
            return []
        run_id = latest[0]
    cursor = con.execute("SELECT * FROM changes WHERE run_id = ? ORDER BY source_id, change, figure_id", [run_id])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _of(rows: list[dict[str, object]], change: str) -> list[dict[str, object]]:
    return [row for row in rows if row["change"] == change]


def values_changed(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The changed rows whose value itself changed (not only the quote, notes or another column)."""
    return [row for row in _of(rows, "changed") if row["old_value"] != row["new_value"]]


def short_summary(rows: list[dict[str, object]]) -> list[str]:
    """A few lines for the terminal: counts, each changed value, sources removed, shrinks accepted."""
    if not rows:
        return ["No changes since the last good warehouse."]
    lines = [
        f"{len(_of(rows, 'added'))} rows added, {len(_of(rows, 'removed'))} removed, "
        f"{len(_of(rows, 'changed'))} changed since the last good warehouse."
    ]
    changed = values_changed(rows)
    if changed:
        shown = "; ".join(f"{r['figure_id']} {r['old_value']} → {r['new_value']}" for r in changed[:IDS_SHOWN])
        more = f" (and {len(changed) - IDS_SHOWN} more)" if len(changed) > IDS_SHOWN else ""
        lines.append(f"{len(changed)} value{'s' if len(changed) != 1 else ''} changed: {shown}{more}")
    lines += [f"source added: {r['source_id']} ({r['new_value']} rows)" for r in _of(rows, "source_added")]
    lines += [f"source removed: {r['source_id']} ({r['old_value']} rows)" for r in _of(rows, "source_removed")]
    if moved := _of(rows, "ratio_moved"):
        lines.append(f"{len(moved)} comparison ratio{'s' if len(moved) != 1 else ''} moved")
    lines += [
        f"shrink accepted: {r['source_id']} {r['old_value']} → {r['new_value']} rows, by {r['accepted_by']}: "
        f"{r['reason']}"
        for r in _of(rows, "shrink_accepted")
    ]
    return lines


def per_source(rows: list[dict[str, object]]) -> list[list[object]]:
    """Per source: rows added, removed, changed."""
    sources = sorted({str(row["source_id"]) for row in rows if row["change"] in ("added", "removed", "changed")})
    return [
        [source] + [sum(1 for r in _of(rows, kind) if r["source_id"] == source) for kind in CHANGE_KINDS[:3]]
        for source in sources
    ]


def changes_markdown(rows: list[dict[str, object]], run_id: str, shown: int | None = None) -> str:
    """The run's change log as markdown: per source, each changed value, ratios moved, sources, consents.

    For the UI (`shown` rows at most per table) there is no page title and the section titles are bold; the
    file lists every row.
    """
    parts = ([] if shown else [f"# Changes in run {run_id}", ""]) + [*(f"- {line}" for line in short_summary(rows)), ""]
    sections = [
        ("Rows per source", ["source", "added", "removed", "changed"], per_source(rows)),
        ("Values changed", ["figure id", "old", "new", "new quote"],
         [[r["figure_id"], r["old_value"], r["new_value"], r["quote"]] for r in values_changed(rows)]),
        ("Other columns changed", ["figure id", "columns"],
         [[r["figure_id"], r["changed_columns"]] for r in _of(rows, "changed") if r["old_value"] == r["new_value"]]),
        ("Rows removed", ["source", "figure id", "value", "quote"],
         [[r["source_id"], r["figure_id"], r["old_value"], r["quote"]] for r in _of(rows, "removed")]),
        ("Rows added", ["source", "figure id", "value"],
         [[r["source_id"], r["figure_id"], r["new_value"]] for r in _of(rows, "added")]),
        ("Comparisons whose ratio moved", ["figures", "old ratio", "new ratio"],
         [[r["figure_id"], r["old_value"], r["new_value"]] for r in _of(rows, "ratio_moved")]),
        ("Sources added or removed", ["source", "change", "rows before", "rows after"],
         [[r["source_id"], r["change"], r["old_value"], r["new_value"]]
          for r in rows if r["change"] in ("source_added", "source_removed")]),
        ("Shrinks accepted", ["source", "rows before", "rows after", "first missing", "accepted by", "reason"],
         [[r["source_id"], r["old_value"], r["new_value"], r["figure_id"], r["accepted_by"], r["reason"]]
          for r in _of(rows, "shrink_accepted")]),
    ]  # fmt: skip
    for title, header, table in sections:
        if table:
            heading = f"**{title}**" if shown else f"## {title}"
            parts += [heading, "", markdown_table(header, table[:shown], len(table)), ""]
    return "\n".join(parts)


def changes_file(curated_dir: Path, run_id: str) -> Path:
    """Where a run's change log is written."""
    return curated_dir / "changes" / f"{run_id}.md"


def write_changes_file(curated_dir: Path, rows: list[dict[str, object]], run_id: str) -> Path:
    """Write the run's change log (only once its warehouse is in place)."""
    target = changes_file(curated_dir, run_id)
    with replaced_on_success(target) as temporary:
        temporary.write_text(changes_markdown(rows, run_id), encoding="utf-8")
    return target
