"""End to end: the shipped figure sheets through Dagster into DuckDB and the first chart."""

import csv
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest

from conftest import REPO, SHARED_REFERENCE, materialisation, materialise
from pipelines import sheets
from pipelines.versions import observed_versions

SEED = {"KAZ-2008-FIDH-01": 136000, "KAZ-2008-FIDH-02": 17000, "KAZ-2008-FIDH-03": 1800}


def query(layout, sql: str, parameters=None) -> list[tuple]:
    with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
        return con.execute(sql, parameters or []).fetchall()


def shipped_rows() -> int:
    with (REPO / "data/raw/figures/enforcement_figures.csv").open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_every_reference_row_is_shipped_and_loaded(built):
    assert query(built, "SELECT count(*) FROM observations WHERE source_id LIKE 'figures_%'")[0][0] == shipped_rows()
    if SHARED_REFERENCE.exists():
        reference = (SHARED_REFERENCE / "enforcement_figures.csv").read_bytes()
        assert (REPO / "data/raw/figures/enforcement_figures.csv").read_bytes() == reference


def test_seed_figures_carry_their_citation(built):
    rows = query(
        built,
        "SELECT figure_id, value, unit, period_start, period_end, source_url, quote, publisher, raw_sha256 "
        "FROM observations_cited WHERE jurisdiction = 'KAZ' AND subdivision IS NULL "
        "AND period_start = DATE '2008-01-01' AND period_end = DATE '2008-12-31' ORDER BY figure_id",
    )
    assert {row[0]: row[1] for row in rows} == SEED
    for _, _, _, _, _, url, quote, publisher, sha in rows:
        assert url == "http://www.fidh.org/IMG/pdf/kgkaz2207a.pdf"
        assert "136,000 foreigners were arrested" in quote
        assert publisher.startswith("FIDH")
        assert len(sha) == 64


def test_comparisons_give_the_fidh_ratios(built):
    ratios = dict(
        (tuple(row[:2]), row[2:])
        for row in query(
            built,
            "SELECT migrants_measure, employers_measure, ratio, qualifier, figure_ids FROM comparisons "
            "WHERE jurisdiction = 'KAZ' AND subdivision IS NULL AND period_end = DATE '2008-12-31'",
        )
    )
    assert ratios[("arrested", "held_liable")][0] == pytest.approx(75.6, abs=0.1)
    assert ratios[("deported", "held_liable")][0] == pytest.approx(9.4, abs=0.1)
    assert ratios[("arrested", "held_liable")][1] == "exact"
    assert ratios[("arrested", "held_liable")][2] == ["KAZ-2008-FIDH-01", "KAZ-2008-FIDH-03"]


def test_comparisons_never_divide_money_by_people(built):
    rows = query(
        built,
        "SELECT count(*) FROM comparisons c JOIN units u ON u.unit = c.employers_unit "
        "WHERE c.ratio IS NOT NULL AND u.counts NOT IN ('people', 'organisations')",
    )
    assert rows[0][0] == 0
    money = query(built, "SELECT count(*), count(ratio) FROM comparisons WHERE employers_measure = 'fine_amount'")
    assert money[0][0] > 0 and money[0][1] == 0


def test_operations_without_a_start_date_pair_only_with_each_other(built):
    rows = query(
        built,
        "SELECT migrants_measure, employers_measure, period_start FROM comparisons "
        "WHERE jurisdiction = 'KAZ' AND period_end = DATE '2023-03-06'",
    )
    assert rows and all(start is None for *_, start in rows)
    mixed = query(
        built,
        "SELECT count(*) FROM comparisons c, unnest(c.figure_ids) AS f(figure_id) "
        "JOIN observations o USING (figure_id) WHERE (c.period_start IS NULL) <> (o.period_start IS NULL)",
    )
    assert mixed[0][0] == 0


def test_lower_bound_on_employers_makes_the_ratio_an_upper_bound(built):
    rows = query(
        built,
        "SELECT DISTINCT migrants_qualifier, employers_qualifier, qualifier FROM comparisons "
        "WHERE ratio IS NOT NULL AND migrants_qualifier = 'exact' AND employers_qualifier = 'lower_bound'",
    )
    assert all(row[2] == "upper_bound" for row in rows)


def test_kazakhstan_2008_chart_files(built):
    stem = built.charts_dir / "headline_kaz_2008"
    png = stem.with_suffix(".png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert stem.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    svg = stem.with_suffix(".svg").read_text(encoding="utf-8")
    root = ET.fromstring(svg)
    text = " ".join("".join(node.itertext()) for node in root.iter() if node.tag.endswith("text"))
    assert "Source: FIDH (International Federation for Human Rights)" in text
    assert "76 foreigners arrested for every employer held liable" in text
    with stem.with_suffix(".csv").open(encoding="utf-8", newline="") as handle:
        plotted = {row["figure_id"]: float(row["value"]) for row in csv.DictReader(handle)}
    assert plotted == SEED


def test_chart_asset_has_small_thumbnail(built):
    from pipelines.definitions import build_definitions

    result = materialise_chart_only(built)
    thumbnail = result["thumbnail"].value
    assert thumbnail.startswith("![") and "data:image/png;base64," in thumbnail
    assert len(thumbnail) < 100_000
    assert build_definitions(built).resolve_job_def("rebuild_everything")


def materialise_chart_only(layout) -> dict:
    import dagster as dg

    from pipelines.definitions import build_definitions

    defs = build_definitions(layout)
    key = dg.AssetKey(["charts", "headline_kaz_2008"])
    result = dg.materialize([defs.get_assets_def(key)], selection=[key], instance=dg.DagsterInstance.ephemeral())
    assert result.success
    return materialisation(result, key.path).metadata


def test_a_new_sheet_is_picked_up_without_code_change(built_copy):
    versions = observed_versions(built_copy)
    header = (REPO / "data/raw/figures/enforcement_figures.csv").read_text(encoding="utf-8").splitlines()[0]
    row = (
        "TST-2030-01,KAZ,,2020-01-01,2020-12-31,employers,fined,12,employers,in one raid,,Test Publisher,official,"
        'Test title,https://example.org/report,2021-01,"12 employers were fined.",en,test row'
    )
    (built_copy.figures_dir / "new sheet.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    # A sheet written before `breakdown` and `source_type` existed still loads, with the type `unknown`.
    legacy_header = ",".join(sheets.LEGACY_SHEET_COLUMNS)
    legacy_row = (
        "TST-2030-02,KAZ,,2020-01-01,2020-12-31,employers,fined,7,employers,,Test Publisher,Test title,"
        'https://example.org/report,2021-01-05,"7 employers were fined.",en,test row'
    )
    (built_copy.figures_dir / "old sheet.csv").write_text(f"{legacy_header}\n{legacy_row}\n", encoding="utf-8")
    result = materialise(built_copy, changed_since=versions)
    assert result.success
    rows = query(
        built_copy,
        "SELECT source_id, value, breakdown, source_type, published_date FROM observations "
        "WHERE figure_id LIKE 'TST-2030-%' ORDER BY figure_id",
    )
    assert rows == [
        ("figures_new_sheet", 12.0, "in one raid", "official", "2021-01"),
        ("figures_old_sheet", 7.0, None, "unknown", "2021-01-05"),
    ]


def test_definitions_load_without_heavy_imports():
    code = (
        "import sys, pipelines.definitions as d; "
        "assert 'great_expectations' not in sys.modules, 'GX imported'; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'; "
        "loaded = {m.split('.')[0] for m in sys.modules if '.' in m}; "
        "assert not loaded & {'pandas', 'duckdb', 'psycopg', 'urllib3'}, loaded; "
        "print(len(list(d.defs.resolve_all_asset_keys())))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert int(out.stdout.strip()) >= 8


def test_dagster_cli_validates_the_definitions(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    dagster = Path(sys.executable).with_name("dagster")
    out = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "pipelines.definitions"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert out.returncode == 0, out.stdout + out.stderr
