"""Publishing at scale: `python bench/publish_scale.py --url postgresql://USER@HOST:PORT/DB [--rows 1000000]`.

Needs a PostgreSQL server you own (it creates and drops the schemas `bench_publish` and `bench_baseline`).
Generates a table shaped like `eurostat_detail` in a temporary DuckDB file and, alternating `--repeat` times,
copies it into PostgreSQL:

- publish: the publish step's own table copy (rows fetched from DuckDB, binary COPY through psycopg);
- baseline: C on both ends: DuckDB writes the table as CSV, PostgreSQL reads it with COPY FROM STDIN.

The fastest run of each counts. Prints both times and their ratio.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.publish import _copy_table  # noqa: E402

COLUMNS = (
    "source_id text, geo text, citizen text, age text, sex text, period_start date, period_end date, "
    "value double precision, flags text"
)


def make_table(path: Path, rows: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"""CREATE TABLE eurostat_detail AS SELECT
                'eurostat_migr_eipre' AS source_id, ['AT', 'DE', 'FR', 'IT', 'EL'][1 + i % 5] AS geo,
                'C' || (i % 180)::VARCHAR AS citizen, ['TOTAL', 'Y_LT14', 'Y18-34'][1 + i % 3] AS age,
                ['T', 'F', 'M'][1 + i % 3] AS sex, DATE '2008-01-01' + INTERVAL (i % 18) YEAR AS period_start,
                DATE '2008-12-31' + INTERVAL (i % 18) YEAR AS period_end, (i % 9973)::DOUBLE AS value,
                CASE WHEN i % 7 = 0 THEN 'e' END AS flags
            FROM range({rows}) t(i)"""
        )


def publish(con: duckdb.DuckDBPyConnection, url: str) -> float:
    with psycopg.connect(url) as pg:
        pg.execute("DROP SCHEMA IF EXISTS bench_publish CASCADE")
        pg.execute("CREATE SCHEMA bench_publish")
        started = time.perf_counter()
        _copy_table(con, pg, "eurostat_detail", "bench_publish")
        pg.commit()
        return time.perf_counter() - started


def baseline(con: duckdb.DuckDBPyConnection, url: str, scratch: Path) -> float:
    with psycopg.connect(url) as pg:
        pg.execute("DROP SCHEMA IF EXISTS bench_baseline CASCADE")
        pg.execute("CREATE SCHEMA bench_baseline")
        started = time.perf_counter()
        pg.execute(f"CREATE TABLE bench_baseline.eurostat_detail ({COLUMNS})")
        csv = scratch / "detail.csv"
        con.execute(f"COPY eurostat_detail TO '{csv}' (FORMAT csv, HEADER false)")
        statement = "COPY bench_baseline.eurostat_detail FROM STDIN (FORMAT csv)"
        with pg.cursor().copy(statement) as copy, csv.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        pg.commit()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="PostgreSQL connection URL (a server you own)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        scratch = Path(tmp)
        make_table(scratch / "w.duckdb", args.rows)
        with duckdb.connect(str(scratch / "w.duckdb"), read_only=True) as con:
            timings = {"publish": [], "baseline": []}
            for _ in range(args.repeat):
                timings["publish"].append(publish(con, args.url))
                timings["baseline"].append(baseline(con, args.url, scratch))
        with psycopg.connect(args.url) as pg:
            pg.execute("DROP SCHEMA bench_publish CASCADE")
            pg.execute("DROP SCHEMA bench_baseline CASCADE")
    best = {name: min(values) for name, values in timings.items()}
    print(f"{args.rows:,} rows: publish {best['publish']:.2f} s, baseline (CSV both ends) {best['baseline']:.2f} s")
    print(f"ratio publish / baseline: {best['publish'] / best['baseline']:.2f}x")


if __name__ == "__main__":
    main()
