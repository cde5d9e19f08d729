"""One preferred value per fact, conflicts, scope notes and the Europe chart, on small warehouses built by the real
warehouse code from staged Parquet files (no Dagster run needed)."""

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.charts import europe
from pipelines.charts.chart import write_chart
from pipelines.schema import OBSERVATION_COLUMNS
from pipelines.warehouse import StagedSource, build_warehouse, write_staged

NO_REJECTED = ("CREATE TABLE rejected_rows AS SELECT 'none' AS source_id", [])


def figure(figure_id: str, value: float, source_type: str = "news", **changes) -> dict:
    """A national 2015 count of foreigners found illegally present in Germany, as a sheet row would give it."""
    row = {
        "figure_id": figure_id, "source_id": "figures_test", "jurisdiction": "DEU", "subdivision": None,
        "period_start": date(2015, 1, 1), "period_end": date(2015, 12, 31), "target_group": "migrants",
        "measure": "detected_violation", "value": value, "unit": "persons", "breakdown": None, "qualifier": "exact",
        "publisher": f"Publisher of {figure_id}", "source_type": source_type, "source_title": f"Title {figure_id}",
        "source_url": f"https://example.org/{figure_id}", "published_date": None, "quote": f"{value:g} found",
        "language": "en", "notes": None, "locator": f"test.csv row {figure_id}", "flags": None,
    }  # fmt: skip
    return row | changes


def warehouse(tmp_path: Path, rows: list[dict]) -> duckdb.DuckDBPyConnection:
    """Build a warehouse from `rows` (grouped into sources by source_id; `eurostat_*` ones of kind eurostat)."""
    frame = pd.DataFrame(rows, columns=list(OBSERVATION_COLUMNS))
    staged = []
    for source_id, part in frame.groupby("source_id"):
        parquet = tmp_path / f"{source_id}.parquet"
        write_staged(part, parquet)
        kind = "eurostat" if source_id.startswith("eurostat_") else "figure_sheet"
        staged.append(StagedSource(source_id, parquet, {"source_id": source_id, "kind": kind, "title": source_id}))
    target = tmp_path / "warehouse.duckdb"
    build_warehouse(target, staged, NO_REJECTED)
    return duckdb.connect(str(target), read_only=True)


def preferred(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT figure_id, agreement, [a.figure_id FOR a IN alternatives] FROM preferred_observations ORDER BY ALL"
    ).fetchall()


def test_official_statistics_win_over_news_and_the_rest_are_alternatives(tmp_path):
    con = warehouse(tmp_path, [figure("NEWS", 376435), figure("STATS", 376435, "official_statistics")])
    assert preferred(con) == [("STATS", "same", ["NEWS"])]


def test_at_equal_type_the_dataset_read_by_machine_wins_over_the_sheet_row_copying_it(tmp_path):
    rows = [
        figure("EUR-EIPRE-DE-2015", 376435, "official_statistics"),
        figure("EUROSTAT-migr_eipre-DE-2015", 376435, "official_statistics", source_id="eurostat_migr_eipre"),
    ]
    assert preferred(warehouse(tmp_path, rows)) == [("EUROSTAT-migr_eipre-DE-2015", "same", ["EUR-EIPRE-DE-2015"])]


def test_then_the_latest_publication_then_the_figure_id(tmp_path):
    rows = [
        figure("A", 100, published_date="2016-03-01"),
        figure("B", 100, published_date="2016-04"),
        figure("C", 100, published_date="2016-04", subdivision="Berlin"),
        figure("D", 100, published_date="2016-04", subdivision="Berlin"),
    ]
    assert preferred(warehouse(tmp_path, rows)) == [("B", "same", ["A"]), ("C", "same", ["D"])]


def test_a_different_breakdown_is_a_different_fact(tmp_path):
    rows = [figure("ALL", 12272), figure("WORKING", 7973, breakdown="found working illegally")]
    assert preferred(warehouse(tmp_path, rows)) == [("ALL", "single", []), ("WORKING", "single", [])]


@pytest.mark.parametrize(
    ("values", "agreement"),
    [
        ((68134, 68100), "rounded"),  # the less precise shows hundreds: 68,134 rounds to 68,100
        ((14100, 14000), "rounded"),  # 14,100 rounded to the thousand is 14,000
        ((68100, 68200), "conflict"),  # both to the hundred, and different
        ((1264, 3708), "conflict"),
        ((0, 5), "conflict"),
        ((569, 569), "same"),
    ],
)
def test_agreement_allows_the_rounding_the_less_precise_figure_shows(tmp_path, values, agreement):
    con = warehouse(tmp_path, [figure("A", values[0], "official"), figure("B", values[1], "news")])
    assert preferred(con) == [("A", agreement, ["B"])]
    conflicts = con.execute("SELECT preferred_figure_id, other_figure_id, resolved_by FROM conflicts").fetchall()
    assert conflicts == ([("A", "B", "source_type")] if agreement == "conflict" else [])


def test_a_conflict_between_sources_of_the_same_type_is_unresolved_and_cites_both(tmp_path):
    con = warehouse(tmp_path, [figure("LWB", 1264, "official"), figure("IMMD", 3708, "official")])
    row = con.execute(
        "SELECT preferred_figure_id, preferred_source_url, preferred_quote, other_figure_id, other_source_url, "
        "other_quote, resolved_by FROM conflicts"
    ).fetchone()
    assert row == (
        "IMMD", "https://example.org/IMMD", "3708 found", "LWB", "https://example.org/LWB", "1264 found", None,
    )  # fmt: skip


def employer(figure_id: str, value: float, **changes) -> dict:
    return figure(figure_id, value, "official", target_group="employers", measure="fined", unit="employers") | changes


def test_comparisons_pair_preferred_figures_once_with_types_breakdowns_and_scope_notes(tmp_path):
    rows = [
        figure("EUR-EIPRE-DE-2015", 376435, "official_statistics"),
        figure("EUROSTAT-migr_eipre-DE-2015", 376435, "official_statistics", source_id="eurostat_migr_eipre"),
        employer("FKS", 2000, breakdown="all inspections", notes="All FKS audits, not only immigration checks."),
    ]
    con = warehouse(tmp_path, rows)
    pairs = con.execute(
        "SELECT figure_ids, migrants_source_type, employers_source_type, migrants_breakdown, employers_breakdown, "
        "scope_note FROM comparisons"
    ).fetchall()
    assert pairs == [
        (
            ["EUROSTAT-migr_eipre-DE-2015", "FKS"], "official_statistics", "official", None, "all inspections",
            "employers side counts all inspections, not only those for foreign or irregular workers; "
            "covers more than immigration checks",
        )
    ]  # fmt: skip


def svg_text(path: Path) -> str:
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    return " ".join(" ".join("".join(node.itertext()).split()) for node in root.iter() if node.tag.endswith("text"))


def test_europe_chart_shows_each_state_with_both_sides_their_breakdowns_and_source_types(tmp_path):
    eurostat = {"source_id": "eurostat_migr_eipre", "source_type": "official_statistics"}
    rows = [
        # Germany: only Eurostat on the migrants side, so it pairs with the employer figure.
        figure("EUROSTAT-migr_eipre-DE-2015", 376435, **eurostat),
        employer("DEU-FKS", 2000, breakdown="all inspections", source_type="news"),
        # Czechia: the inspectorate's own migrants figure beats Eurostat's; its latest year (2022) is shown.
        figure("EUROSTAT-migr_eipre-CZ-2022", 5000, jurisdiction="CZE", period_start=date(2022, 1, 1),
               period_end=date(2022, 12, 31), **eurostat),
        figure("CZE-SUIP-1", 2000, "official", jurisdiction="CZE", period_start=date(2022, 1, 1),
               period_end=date(2022, 12, 31), breakdown="in labour inspections", source_url="https://suip.cz/2022"),
        employer("CZE-SUIP-2", 500, jurisdiction="CZE", period_start=date(2022, 1, 1), period_end=date(2022, 12, 31),
                 source_url="https://suip.cz/2022"),
        employer("CZE-OLD", 10, jurisdiction="CZE"),
        # Kazakhstan is not in Europe's list: left out.
        figure("KAZ-1", 136000, jurisdiction="KAZ"),
        employer("KAZ-2", 1800, jurisdiction="KAZ"),
    ]  # fmt: skip
    con = warehouse(tmp_path, rows)
    pairs = europe.europe_pairs(con)
    assert [(p["jurisdiction"], p["figure_ids"], p["same_document"]) for p in pairs] == [
        ("DEU", ["EUROSTAT-migr_eipre-DE-2015", "DEU-FKS"], False),
        ("CZE", ["CZE-SUIP-1", "CZE-SUIP-2"], True),
    ]
    files = write_chart(europe.build_europe(con), tmp_path / "charts")
    text = svg_text(files.files["svg"])
    assert "2 states (2 in the EU)" in text
    assert "Germany, 2015" in text and "Czechia, 2022" in text and "Kazakhstan" not in text
    assert "foreigners found in breach [official statistics] vs employers fined (all inspections) [news]" in text
    assert "(in labour inspections) [official]" in text and "same document" in text
    assert "188 : 1" in text and "4 : 1" in text
    assert "Some figures reported by the press, not published by the authority." in text
    assert "employers side counts all inspections" in text
