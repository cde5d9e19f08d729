"""Figure sheets kept as workbooks (.xlsx, .ods): read like CSV sheets, with cells typed as numbers and dates."""

import datetime as dt
import shutil
from pathlib import Path

import duckdb
from workbooks import save_formula_results, sheet_rows, write_ods, write_xlsx

from conftest import failure_text, materialise
from pipelines.layout import Layout
from pipelines.spreadsheets import read_spreadsheet
from pipelines.versions import observed_versions

SHEET = "enforcement_figures.csv"
END = dt.date(2019, 12, 31)


def query(layout: Layout, sql: str) -> list[tuple]:
    with duckdb.connect(str(layout.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def same_columns(layout: Layout, table: str) -> str:
    """The table's columns without those that only say where a row was read (locators)."""
    described = query(layout, f"DESCRIBE {table}")
    return ", ".join(f'"{name}"' for name, *_ in described if "locator" not in name)


def test_the_reference_sheet_saved_as_xlsx_gives_the_same_warehouse(built, built_copy):
    csv_path = built_copy.figures_dir / SHEET
    write_xlsx(csv_path.with_suffix(".xlsx"), {"figures": sheet_rows(csv_path), "Notes": [["Checked by hand."]]})
    csv_path.unlink()
    result = materialise(built_copy, reread_datasets=False)
    assert result.success, failure_text(result)
    for table, order in (("observations", "source_id, figure_id"), ("comparisons", "figure_ids")):
        sql = f"SELECT {same_columns(built, table)} FROM {table} ORDER BY {order}"
        rows = query(built, sql)
        assert len(rows) > 300 if table == "observations" else rows
        assert query(built_copy, sql) == rows, table
    assert query(built_copy, "SELECT locator FROM observations WHERE figure_id = 'KAZ-2008-FIDH-01'") == [
        ("data/raw/figures/enforcement_figures.xlsx, tab 'figures' row 2",)
    ]
    sources = "SELECT kind, row_count, raw_path FROM sources WHERE source_id = 'figures_enforcement_figures'"
    shipped = query(built, "SELECT count(*) FROM observations WHERE source_id = 'figures_enforcement_figures'")[0][0]
    assert query(built_copy, sources) == [("figure_sheet", str(shipped), "data/raw/figures/enforcement_figures.xlsx")]


def country_rows(iso3: str, header: list[str]) -> list[list[object]]:
    """A made-up country's 2019: 500 foreigners arrested against 5 employers held liable."""
    base = {
        "period_start": dt.date(2019, 1, 1),
        "period_end": END,
        "publisher": "Test Ministry",
        "source_type": "official",
        "source_title": f"Enforcement in {iso3}, 2019",
        "source_url": f"https://example.org/{iso3.lower()}/2019",
        "published_date": dt.date(2020, 3, 1),
        "language": "en",
        "jurisdiction_iso3": iso3,
    }
    rows = [
        {**base, "figure_id": f"{iso3}-2019-T-01", "target_group": "migrants", "measure": "arrested", "value": 500,
         "unit": "persons", "quote": "500 foreigners were arrested."},
        {**base, "figure_id": f"{iso3}-2019-T-02", "target_group": "employers", "measure": "held_liable", "value": 5,
         "unit": "employers", "quote": "5 employers were held liable."},
    ]  # fmt: skip
    return [header] + [[row.get(name) for name in header] for row in rows]


def test_a_new_countrys_workbooks_flow_to_observations_comparisons_and_charts(built_copy):
    versions = observed_versions(built_copy)
    header = sheet_rows(built_copy.figures_dir / SHEET)[0]
    sidecar = built_copy.figures_dir / "enforcement_figures.meta.yml"
    write_xlsx(
        built_copy.figures_dir / "uruguay.xlsx",
        {"Read me": [["Figures for Uruguay"]], "URY": country_rows("URY", header)},
    )
    write_ods(built_copy.figures_dir / "chile.ods", {"CHL": country_rows("CHL", header)})
    for name in ("uruguay", "chile"):
        shutil.copy(sidecar, built_copy.figures_dir / f"{name}.meta.yml")
    result = materialise(built_copy, "rebuild_everything", changed_since=versions)
    assert result.success, failure_text(result)
    observed = query(
        built_copy,
        "SELECT source_id, figure_id, value, period_end, locator FROM observations "
        "WHERE jurisdiction IN ('CHL', 'URY') ORDER BY figure_id",
    )
    assert observed == [
        ("figures_chile", "CHL-2019-T-01", 500.0, END, "data/raw/figures/chile.ods, tab 'CHL' row 2"),
        ("figures_chile", "CHL-2019-T-02", 5.0, END, "data/raw/figures/chile.ods, tab 'CHL' row 3"),
        ("figures_uruguay", "URY-2019-T-01", 500.0, END, "data/raw/figures/uruguay.xlsx, tab 'URY' row 2"),
        ("figures_uruguay", "URY-2019-T-02", 5.0, END, "data/raw/figures/uruguay.xlsx, tab 'URY' row 3"),
    ]
    compared = query(
        built_copy,
        "SELECT jurisdiction, migrants_value, employers_value, ratio FROM comparisons "
        "WHERE jurisdiction IN ('CHL', 'URY') ORDER BY jurisdiction",
    )
    assert compared == [("CHL", 500.0, 5.0, 100.0), ("URY", 500.0, 5.0, 100.0)]
    for place in ("chl", "ury"):
        for suffix in ("svg", "png", "pdf", "csv"):
            drawn = built_copy.charts_dir / f"headline_{place}_2019.{suffix}"
            assert drawn.stat().st_size > 1000 if suffix != "csv" else drawn.exists(), drawn
        assert f"{place.upper()}-2019-T-01" in (built_copy.charts_dir / f"headline_{place}_2019.csv").read_text()


def test_other_tabs_are_listed_and_formulas_noted(tmp_path: Path):
    header = sheet_rows(Path(__file__).parent.parent / "data/raw/figures" / SHEET)[0]
    rows = country_rows("ISL", header)
    rows[1][header.index("value")] = "=250*2"
    path = tmp_path / "book.xlsx"
    write_xlsx(path, {"Chart data": [["year", "ratio"]], "ISL": rows})
    save_formula_results(path, {"250*2": "500"})
    read = read_spreadsheet(path, "book.xlsx")
    assert read.notes == (
        "book.xlsx, tab 'Chart data': skipped (its first row has no figure_id column, so it holds no figures)",
        "book.xlsx, tab 'ISL', cell H2 (value): formula '=250*2': its saved result is used",
    )
    assert read.cells["value"].tolist() == ["500", "5"]
