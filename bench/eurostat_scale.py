"""Eurostat detail path at scale: `python bench/eurostat_scale.py [--rows 1000000 5000000]`.

Generates a Eurostat-shaped SDMX-CSV cube (geo x citizen x age x sex x year, with some missing cells and
flags) and, for each size, runs in fresh processes:

- pipeline: the real path: snapshot (sha256 as the downloader computes it, format check, record, move into
  data/raw/eurostat/), snapshot verification, staging (parse, parse-level checks, detail Parquet, totals to
  observations, rejected file) and the warehouse hook that loads `eurostat_detail` into a DuckDB file;
- baseline: DuckDB alone doing the same read, checks and insert: read_csv with the same typing and checks
  into a table of a DuckDB file, then the same problem count and totals query.

Each variant runs `--repeat` times, alternating; the fastest run counts (other work on the machine only ever
slows a run down) and the highest peak RSS. Prints wall time of each, their ratio (target <= 1.5), peak RSS
(target <= 600 MB at 5M rows) and the RSS growth from the smallest to the largest size (target <= 1.3x).
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GEOS = ["EU27_2020", "BE", "BG", "CZ", "DK", "DE", "EE", "IE", "EL", "ES", "FR", "HR", "IT", "CY", "LV", "LT",
        "LU", "HU", "MT", "NL", "AT", "PL", "PT", "RO", "SI", "SK", "FI", "SE", "IS", "LI", "NO", "CH"]  # fmt: skip
AGES = ["TOTAL", "Y_LT14", "Y14-17", "Y18-34", "Y_GE35", "UNK"]
SEXES = ["T", "F", "M", "UNK"]
YEARS = list(range(2008, 2026))
CODE = "bench_cube"
TOTALS = {"citizen": "TOTAL", "age": "TOTAL", "sex": "T", "unit": "PER"}


def generate(target: Path, rows: int) -> int:
    """Write an SDMX-CSV cube of about `rows` cells; every 50th is missing, every 40th flagged."""
    per_citizen = len(GEOS) * len(AGES) * len(SEXES) * len(YEARS)
    citizens = max(2, round(rows / per_citizen))
    with duckdb.connect() as con:
        con.execute(
            f"""
            COPY (
                WITH c AS (SELECT CASE WHEN i = 0 THEN 'TOTAL' ELSE printf('C%03d', i) END AS citizen
                           FROM range({citizens}) t(i)),
                     g AS (SELECT unnest(?) AS geo), a AS (SELECT unnest(?) AS age),
                     s AS (SELECT unnest(?) AS sex), y AS (SELECT unnest(?) AS year)
                SELECT 'ESTAT:MIGR_EIPRE(1.0)' AS DATAFLOW, '12/05/26 11:00:00' AS "LAST UPDATE", 'A' AS freq,
                       citizen, age, sex, 'PER' AS unit, geo, CAST(year AS VARCHAR) AS TIME_PERIOD,
                       CASE WHEN hash(citizen, age, sex, geo, year) % 50 = 0 THEN NULL
                            ELSE CAST(hash(geo, citizen, age, sex, year) % 100000 AS VARCHAR) END AS OBS_VALUE,
                       CASE WHEN hash(year, geo, sex, citizen, age) % 40 = 0 THEN 'p' END AS OBS_FLAG
                FROM c, g, a, s, y
            ) TO '{target}' (HEADER, DELIMITER ',')
            """,
            [GEOS, AGES, SEXES, YEARS],
        )
    return citizens * per_citizen


def pipeline(csv_file: Path, work: Path) -> dict:
    """The real snapshot -> parse -> check -> load path.

    The libraries it uses are imported before the clock starts, as the baseline's duckdb is: the project
    imports pandas lazily, on first use inside staging, and a one-off import is not the path's speed (the load
    part of bench/run.py measures imports). Their time is reported apart, as `imports_s`.
    """
    started = time.perf_counter()
    import pandas  # noqa: F401
    import yaml

    from pipelines.eurostat import client, formats, snapshots, staging
    from pipelines.eurostat.detail import load_detail
    from pipelines.layout import Layout
    from pipelines.sources import read_registry

    imports_s = time.perf_counter() - started
    layout = Layout(work)
    entry = {
        "id": f"eurostat_{CODE}", "kind": "eurostat", "dataset": CODE, "producer": "Eurostat (benchmark cube)",
        "title": "Benchmark cube", "citation_full": "generated", "license": "CC BY 4.0", "refresh": "manual",
        "format": "sdmx-csv", "measure": "detected_violation", "unit": "persons", "totals": TOTALS,
    }  # fmt: skip
    (layout.raw_dir / "sources").mkdir(parents=True)
    (layout.raw_dir / "sources" / f"eurostat_{CODE}.yml").write_text(yaml.safe_dump(entry), encoding="utf-8")
    dataset = read_registry(layout).datasets[0]
    times = {}

    started = time.perf_counter()
    dataset.snapshot_dir.mkdir(parents=True)
    incoming = dataset.snapshot_dir / ".download.csv.partial"
    os.link(csv_file, incoming)  # stands for the body the downloader has just written
    digest = hashlib.sha256()
    with incoming.open("rb") as handle:  # the downloader hashes while it writes; same cost
        while chunk := handle.read(client.CHUNK):
            digest.update(chunk)
    size = incoming.stat().st_size
    fetched = client.Download(incoming, "http://127.0.0.1/bench", digest.hexdigest(), size, "text/csv")
    snapshots.store(dataset, fetched, formats.check(incoming, dataset.format, "bench"))
    snapshot = snapshots.current_snapshot(dataset)
    times["snapshot"] = time.perf_counter() - started

    started = time.perf_counter()
    staged = staging.stage(layout, dataset, snapshot)
    times["parse_check"] = time.perf_counter() - started

    started = time.perf_counter()
    with duckdb.connect(str(work / "warehouse.duckdb"), config=staging.DUCKDB_SETTINGS) as con:
        load_detail(con, [layout.staging_dir / f"{dataset.source_id}.parquet"])
        loaded = con.execute("SELECT count(*) FROM eurostat_detail").fetchone()[0]
    times["load"] = time.perf_counter() - started
    return {"times": times, "imports_s": imports_s, "loaded": loaded, "rejected": staged.rejected,
            "totals": len(staged.observations)}  # fmt: skip


def baseline(csv_file: Path, work: Path) -> dict:
    """DuckDB alone: the same read, checks and insert, with the same settings."""
    from pipelines.eurostat import formats, staging

    started = time.perf_counter()
    with duckdb.connect(str(work / "baseline.duckdb"), config=staging.DUCKDB_SETTINGS) as con:
        con.execute("CREATE TEMP TABLE geo_map (geo VARCHAR PRIMARY KEY, jurisdiction VARCHAR)")
        geos, jurisdictions = zip(*staging.geo_table(), strict=True)
        con.execute("INSERT INTO geo_map SELECT unnest(?), unnest(?)", [list(geos), list(jurisdictions)])
        dimensions = formats.register_cube(con, csv_file, "sdmx-csv", "bench", work / "unused")
        con.execute(f"CREATE TABLE detail AS {staging.cells_sql(dimensions, 'eurostat_' + CODE, CODE)}")
        cells, rejected = con.execute("SELECT count(*), count(problem) FROM detail").fetchone()
        where = " AND ".join(f"{name} = '{code}'" for name, code in TOTALS.items())
        totals = con.execute(f"SELECT count(*) FROM detail WHERE problem IS NULL AND {where}").fetchone()[0]
    return {"times": {"total": time.perf_counter() - started}, "loaded": cells - rejected, "rejected": rejected,
            "totals": totals}  # fmt: skip


def measured(variant: str, csv_file: Path) -> dict:
    """Run one variant in a fresh process; its result with wall time and peak RSS (MB)."""
    work = Path(tempfile.mkdtemp(prefix=f"bench_{variant}_", dir=csv_file.parent))
    command = [sys.executable, __file__, "--child", variant, "--csv", str(csv_file), "--work", str(work)]
    process = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    shutil.rmtree(work)
    if process.returncode != 0:
        raise SystemExit(f"{variant} failed")
    result = json.loads(process.stdout.strip().splitlines()[-1])
    result["wall"] = sum(result["times"].values())
    return result


def peak_rss_mb() -> float:
    """This process's peak resident set since it started its program (VmHWM), in MB.

    Not the rusage of the child: that counts the pages a child shares with its parent between fork and exec,
    so a child of a large benchmark process reported the parent's size.
    """
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--repeat", type=int, default=2, help="runs per variant; the fastest counts (shared CPUs)")
    parser.add_argument("--child", choices=["pipeline", "baseline"])
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--work", type=Path)
    arguments = parser.parse_args()
    if arguments.child:
        run = pipeline if arguments.child == "pipeline" else baseline
        print(json.dumps({**run(arguments.csv, arguments.work), "peak_rss_mb": peak_rss_mb()}))
        return
    scratch = Path(tempfile.mkdtemp(prefix="eurostat_scale_", dir=ROOT / "bench"))
    results = {}
    try:
        for rows in arguments.rows:
            csv_file = scratch / f"cube_{rows}.csv"
            cells = generate(csv_file, rows)
            size_mb = csv_file.stat().st_size / 1e6
            runs = [(measured("baseline", csv_file), measured("pipeline", csv_file)) for _ in range(arguments.repeat)]
            base = min((b for b, _ in runs), key=lambda r: r["wall"])
            real = min((r for _, r in runs), key=lambda r: r["wall"])
            real["peak_rss_mb"] = max(r["peak_rss_mb"] for _, r in runs)
            base["peak_rss_mb"] = max(b["peak_rss_mb"] for b, _ in runs)
            assert real["loaded"] == base["loaded"] and real["totals"] == base["totals"], (real, base)
            results[rows] = (real, base)
            steps = ", ".join(f"{k} {v:.2f}s" for k, v in real["times"].items())
            print(
                f"{cells:>9,} cells ({size_mb:,.0f} MB SDMX-CSV, {real['loaded']:,} loaded, {real['totals']} totals): "
                f"pipeline {real['wall']:.2f}s ({steps}) | DuckDB-only {base['wall']:.2f}s | "
                f"ratio {real['wall'] / base['wall']:.2f}x (target <= 1.5) | peak RSS pipeline "
                f"{real['peak_rss_mb']:.0f} MB, baseline {base['peak_rss_mb']:.0f} MB"
            )
            csv_file.unlink()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if len(results) > 1:
        small, large = min(results), max(results)
        growth = results[large][0]["peak_rss_mb"] / results[small][0]["peak_rss_mb"]
        print(f"pipeline peak RSS growth {small:,} -> {large:,} rows: {growth:.2f}x (target <= 1.3)")


if __name__ == "__main__":
    main()
