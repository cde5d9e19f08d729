"""Charts: content read back from the SVG text, layout checked, pixels compared with committed baselines.

Baselines are PNGs at 50 dpi drawn from a small fixed warehouse (tests/fixtures), so adding figures to the
shipped sheet does not move them. After an intended change of style, redraw them with
`UPDATE_CHART_BASELINES=1 .venv/bin/python -m pytest tests/test_charts.py -k baseline` and look at them.
"""

import base64
import csv
import hashlib
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from conftest import REPO, failure_text, materialisation, materialise
from pipelines.definitions import build_definitions
from pipelines.layout import Layout
from pipelines.schema import OBSERVATION_COLUMNS
from pipelines.validation.rejected import rejected_table_sql
from pipelines.warehouse import StagedSource, build_warehouse, write_staged
from pipelines.wording import counted, ratio_sentence

FIXTURES = Path(__file__).parent / "fixtures"
BASELINES = Path(__file__).parent / "baseline"
BASELINE_DPI = 50
EUROSTAT_MEASURES = {
    "migr_eipre": "detected_violation",
    "migr_eiord": "ordered_to_leave",
    "migr_eirtn": "returned",
    "migr_eirfs": "refused_entry",
}
GEO = {"FR": "FRA", "SE": "SWE"}


def eurostat_frame() -> pd.DataFrame:
    """Real Eurostat totals (tests/fixtures/eurostat_sample.csv, from the reference folder) as observations."""
    with (FIXTURES / "eurostat_sample.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    records = [
        {
            "figure_id": f"{row['dataset']}-{row['geo']}-{row['year']}",
            "source_id": "eurostat_sample",
            "jurisdiction": GEO[row["geo"]],
            "subdivision": None,
            "period_start": date(int(row["year"]), 1, 1),
            "period_end": date(int(row["year"]), 12, 31),
            "target_group": "migrants",
            "measure": EUROSTAT_MEASURES[row["dataset"]],
            "value": float(row["value"]),
            "unit": "persons",
            "breakdown": None,
            "qualifier": "exact",
            "publisher": "Eurostat",
            "source_type": "official_statistics",
            "source_title": row["source_title"],
            "source_url": row["source_url"],
            "published_date": None,
            "quote": row["quote_or_locator"],
            "language": "en",
            "notes": row["notes"],
            "locator": f"{row['dataset']} geo={row['geo']} time={row['year']}",
            "flags": row["flag"] or None,
        }
        for row in rows
    ]
    return pd.DataFrame(records, columns=list(OBSERVATION_COLUMNS))


def add_eurostat_source(layout: Layout) -> None:
    """Stage the Eurostat sample as a source of kind 'eurostat' and rebuild the warehouse with every source."""
    parquet = layout.staging_dir / "eurostat_sample.parquet"
    write_staged(eurostat_frame(), parquet)
    provenance = {
        "source_id": "eurostat_sample",
        "kind": "eurostat",
        "raw_path": "tests/fixtures/eurostat_sample.csv",
        "producer": "Eurostat",
        "title": "Enforcement of immigration legislation (migr_eipre, migr_eiord, migr_eirtn, migr_eirfs)",
        "citation_full": "Eurostat (2026), Enforcement of immigration legislation, sample of published totals.",
        "license": "CC BY 4.0",
        "date_accessed": "2026-11-27",
    }
    staged = [
        StagedSource(path.stem, path, json.loads(path.with_suffix(".source.json").read_text(encoding="utf-8")))
        for path in sorted(layout.staging_dir.glob("figures_*.parquet"))
    ]
    sources = [*staged, StagedSource("eurostat_sample", parquet, provenance)]
    build_warehouse(layout.warehouse_path, sources, rejected_table_sql(layout, "add-eurostat-sample"))


def materialise_keys(layout: Layout, keys: list[list[str]]) -> dg.ExecuteInProcessResult:
    defs = build_definitions(layout)
    selection = [dg.AssetKey(key) for key in keys]
    assets = list({id(asset): asset for asset in map(defs.get_assets_def, selection)}.values())
    return dg.materialize(assets, selection=selection, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def sample_project(root: Path) -> Layout:
    """A project holding only the fixed sample sheet (no official sources)."""
    figures = root / "data" / "raw" / "figures"
    figures.mkdir(parents=True)
    for name in ("sample.csv", "sample.meta.yml"):
        shutil.copy(FIXTURES / "figures" / name, figures / name)
    return Layout(root)


def build_small(root: Path) -> Layout:
    """A fixed sample sheet through the whole job, then a Eurostat-kind source added and its charts drawn (the
    session fixture `small` in conftest)."""
    layout = sample_project(root)
    result = materialise(layout, "rebuild_everything")
    assert result.success, failure_text(result)
    add_eurostat_source(layout)
    redraw = [["charts", "eurostat_series"], ["charts", "coverage_matrix"], ["reports", "report_pack"]]
    result = materialise_keys(layout, redraw)
    assert result.success, failure_text(result)
    return layout


def svg_text(path: Path) -> str:
    """Every text element of an SVG, whitespace-normalised into one string."""
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    return " ".join(" ".join("".join(node.itertext()).split()) for node in root.iter() if node.tag.endswith("text"))


def indexed_charts(layout: Layout) -> list[dict]:
    return [entry for path in sorted(layout.charts_dir.glob("*.index.json")) for entry in json.loads(path.read_text())]


def connect(layout: Layout) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(layout.warehouse_path), read_only=True)


# --- content ---------------------------------------------------------------------------------------------------


def test_every_comparable_place_and_period_has_a_headline_chart(built):
    from pipelines.charts.headline import comparable_keys

    with connect(built) as con:
        stems = {key.stem for key in comparable_keys(con)}
    drawn = {entry["stem"] for entry in indexed_charts(built) if entry["stem"].startswith("headline_")}
    assert stems == drawn and len(stems) > 40
    assert all(
        (built.charts_dir / f"{stem}.{kind}").exists() for stem in stems for kind in ("svg", "png", "pdf", "csv")
    )


def test_svg_shows_title_ratio_and_every_source_of_the_plotted_rows(built):
    from pipelines.charts.style import cite_parts

    for entry in indexed_charts(built):
        text = svg_text(built.charts_dir / entry["files"]["svg"])
        assert " ".join(entry["title"].split()) in text, entry["stem"]
        with (built.charts_dir / entry["files"]["csv"]).open(encoding="utf-8", newline="") as handle:
            plotted = list(csv.DictReader(handle))
        assert plotted, entry["stem"]
        if entry["figure_ids"]:
            with connect(built) as con:
                rows = con.execute(
                    "SELECT publisher, source_title, source_url FROM observations WHERE list_contains(?, figure_id)",
                    [entry["figure_ids"]],
                ).fetchall()
            for publisher, title, url in rows:
                for part in cite_parts({"publisher": publisher, "source_title": title, "source_url": url}):
                    assert " ".join(part.split()) in text, (entry["stem"], part)
                quoted = cite_parts({"source_title": title})[1]
                assert not quoted or text.count(" ".join(quoted.split())) == 1, (entry["stem"], quoted)
        if entry["stem"].startswith("headline_"):
            assert " for every " in text, entry["stem"]


@pytest.mark.parametrize(
    ("ratio", "qualifier", "expected"),
    [
        (136_000 / 1_800, "exact", "76 foreigners arrested for every employer held liable"),
        (557 / 567, "exact", "1 employer held liable for every foreigner arrested"),
        (1.04, "approximate", "about 1 foreigner arrested for every employer held liable"),
        (1.5, "exact", "1.5 foreigners arrested for every employer held liable"),
        (1 / 2.5, "lower_bound", "at most 2.5 employers held liable for every foreigner arrested"),
        (0.0, "exact", "0 foreigners arrested for every employer held liable"),
    ],
)
def test_a_ratio_in_words_takes_the_singular_only_for_one(ratio, qualifier, expected):
    assert ratio_sentence(ratio, qualifier, "arrested", "held_liable") == expected


@pytest.mark.parametrize(
    ("shown", "expected"),
    [("1", "1 employer arrested"), ("61", "61 employers arrested"), ("1,001", "1,001 employers arrested"),
     ("0", "0 employers arrested"), ("1.5", "1.5 employers arrested")],
)  # fmt: skip
def test_a_count_takes_the_singular_only_for_one(shown, expected):
    from pipelines import vocabulary

    assert counted(shown, vocabulary.measures()[("arrested", "employers")]) == expected


def test_kazakhstan_headline_says_the_ratio_in_words_and_names_fidh(built):
    text = svg_text(built.charts_dir / "headline_kaz_2008.svg")
    assert "Kazakhstan, 2008: 76 foreigners arrested for every employer held liable" in text
    assert "9.4 foreigners deported for every employer held liable (17,000 against 1,800)" in text
    assert "Source: FIDH (International Federation for Human Rights)" in text
    assert "Employers held liable: employers held liable or punished where the source does not say" in text
    assert "not necessarily fined" not in text  # a note on one source's wording belongs in the report's methods


def test_lower_bound_on_employers_is_worded_as_at_most(built):
    with connect(built) as con:
        stems = con.execute(
            "SELECT DISTINCT jurisdiction, subdivision, period_start, period_end FROM comparisons "
            "WHERE qualifier = 'upper_bound'"
        ).fetchall()
    from pipelines.charts.headline import ComparisonKey

    assert stems
    texts = [svg_text(built.charts_dir / f"{ComparisonKey(*key).stem}.svg") for key in stems]
    assert all("at most" in text.lower() for text in texts)


def test_no_text_overlaps_or_is_cut_off_in_any_chart(built):
    from pipelines.assets.charts import CHART_ASSETS, _draw
    from pipelines.charts import style

    plt = style.pyplot()
    problems = {}
    with connect(built) as con:
        for name in CHART_ASSETS:
            for chart in _draw(name, con):
                fig = chart.draw()
                found = style.layout_problems(fig)
                plt.close(fig)
                if found:
                    problems[chart.stem] = found
    assert problems == {}


WORDS = ["foreigners", "arrested", "for", "every", "employer", "held", "liable", "(persons;", "Kazakhstan,",
         "2008:", "136,000", "W", "ii", "Źródło:", "inspectorate's", "—", "a"]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=40), st.sampled_from([1.2, 2.6, 4.0, 7.8]))
def test_wrap_fills_each_line_as_far_as_the_measured_width_allows(words, width):
    """Whatever shortcut wrap() takes, each line fits when measured whole, and the next line's first word would
    not have fitted on it (greedy): the same lines as measuring every candidate line."""
    from pipelines.charts import style

    lines = style.wrap(" ".join(words), style.LABEL_SIZE, width)
    assert " ".join(lines).split(" ") == words
    for line, following in itertools.pairwise(lines):
        assert style.text_width(line, style.LABEL_SIZE) <= width or " " not in line, line
        assert style.text_width(f"{line} {following.split(' ')[0]}", style.LABEL_SIZE) > width, (line, following)


def test_layout_check_catches_overlap_cut_off_and_missing_glyphs():
    from pipelines.charts import style

    plt = style.pyplot()
    fig = plt.figure(figsize=(3, 2))
    fig.text(0.1, 0.5, "first label here")
    fig.text(0.15, 0.5, "second label here")
    fig.text(0.9, 0.9, "runs off the right edge")
    fig.text(0.1, 0.1, "ภาษาไทย")
    with pytest.warns(UserWarning, match="missing from font"):  # what matplotlib says as it draws boxes
        problems = style.layout_problems(fig)
    plt.close(fig)
    assert any(p.startswith("overlap: 'first label here'") for p in problems)
    assert "cut off: 'runs off the right edge'" in problems
    assert "cannot draw: 'ภาษาไทย'" in problems


BOX_EDGES = st.sampled_from([0.0, 2.0, 5.0, 10.0, 10.5]) | st.floats(0, 40, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(BOX_EDGES, BOX_EDGES, BOX_EDGES, BOX_EDGES), max_size=12))
def test_overlapping_pairs_are_the_pairs_of_boxes_sharing_over_4_square_pixels(corners):
    """Measured for all pairs at once, the overlaps are exactly those found one pair at a time."""
    from matplotlib.transforms import Bbox

    from pipelines.charts import style

    boxes = [Bbox.from_extents(x0, y0, x0 + width, y0 + height) for x0, y0, width, height in corners]

    def shared(box, other):
        across = max(min(box.x1, other.x1) - max(box.x0, other.x0), 0)
        up = max(min(box.y1, other.y1) - max(box.y0, other.y0), 0)
        return across * up > 4

    expected = [pair for pair in itertools.combinations(range(len(boxes)), 2) if shared(*(boxes[i] for i in pair))]
    assert style._overlapping_pairs(boxes) == expected


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 40),
    st.integers(72, 600),
    st.sampled_from(["noise", "flat", "stripes"]),
    st.randoms(use_true_random=False),
)
def test_png_bytes_decode_to_the_same_pixels_at_the_same_dpi(width, height, dpi, kind, random):
    """The charts' own PNG writer (unfiltered rows) gives a PNG that Pillow reads back pixel for pixel."""
    import numpy as np

    from pipelines.charts import style

    generator = np.random.default_rng(random.getrandbits(32))
    if kind == "noise":
        rgb = generator.integers(0, 256, (height, width, 3), dtype=np.uint8)
    else:
        rgb = np.full((height, width, 3), 255, dtype=np.uint8)
        rgb[:: 1 if kind == "flat" else 3] = generator.integers(0, 256, 3, dtype=np.uint8)
    with Image.open(io.BytesIO(style.png_bytes(rgb, dpi))) as image:
        image.load()  # reads every chunk: a wrong length or CRC raises here
        assert image.mode == "RGB" and image.size == (width, height)
        assert np.array_equal(np.asarray(image), rgb)
        assert [round(value) for value in image.info["dpi"]] == [dpi, dpi]


@pytest.mark.parametrize(
    ("points", "kept"),
    [
        ([(0.2, 0.5), (0.6, 0.5)], True),  # apart
        ([(0.2, 0.5), (0.21, 0.5)], False),  # on top of each other
        ([(0.2, 0.5), (0.99, 0.5)], False),  # the second runs off the figure's right edge
        ([(0.05, 0.9), (0.6, 0.5)], False),  # the first lands on the note in the plot area
    ],
)
def test_point_labels_are_dropped_together_when_one_is_crowded(points, kept):
    from pipelines.charts import style

    plt = style.pyplot()
    fig = plt.figure(figsize=(3, 2))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.text(0.0, 0.9, "a note across the top", fontsize=8)
    labels = [ax.annotate("12,345", point, xytext=(6, 4), textcoords="offset points", fontsize=8) for point in points]
    style.drop_if_crowded(fig, labels)
    assert [label in ax.texts for label in labels] == [kept, kept]
    plt.close(fig)


def test_eurostat_titles_state_the_trend_and_the_peak_of_the_headline_series():
    from pipelines.charts.eurostat import headline_measure, trend_title

    def rows(measure: str, values: dict[int, float]) -> list[dict]:
        return [{"measure": measure, "year": year, "value": value} for year, value in values.items()]

    peak = rows("detected_violation", {2010: 50_250, 2015: 376_435, 2022: 198_310}) + rows("refused_entry", {2023: 9})
    assert headline_measure(peak, ["detected_violation", "refused_entry"]) == "detected_violation"
    assert trend_title("Germany", peak, "detected_violation") == (
        "Germany, 2010–2022: third-country nationals found illegally present rose from 50,250 to 198,310, "
        "peaking at 376,435 in 2015"
    )
    fell = rows("returned", {2014: 900, 2016: 400})
    assert trend_title("Malta", fell, "returned").endswith("returned after an order to leave fell from 900 to 400")
    level = rows("ordered_to_leave", {2014: 1000, 2015: 1200, 2016: 1020})
    level_title = trend_title("Cyprus", level, "ordered_to_leave")
    assert level_title.endswith("stayed about level at 1,000, peaking at 1,200 in 2015")


def test_layout_check_catches_long_subtitles_and_sources_named_twice():
    from pipelines.charts import style

    plt = style.pyplot()
    sentence = "Foreigners deported: foreigners expelled, deported or removed by court or administrative decision."
    eurostat = {"publisher": "Eurostat", "source_title": "Returns", "source_url": "https://ec.europa.eu/a"}
    repeated = "Sources: Eurostat (CC BY 4.0); Eurostat (CC BY 4.0); FIDH, fidh.org/x."
    fig, _ = style.frame(style.Header("A finding", " ".join([sentence] * 6)), [repeated], 1.0)
    problems = style.layout_problems(fig)
    plt.close(fig)
    assert [p for p in problems if p.startswith("subtitle of 6 lines (at most 4)")]
    assert [p for p in problems if p.startswith("source named twice")] == ["source named twice: 'Eurostat (CC BY 4.0)'"]

    fitted = style.fitted_subtitle([sentence] * 6)
    grouped = style.source_line(
        [
            eurostat,
            {**eurostat, "source_title": "Orders", "source_url": "https://ec.europa.eu/b"},
            {**eurostat, "source_url": "https://ec.europa.eu/a2"},
        ]
    )
    assert fitted.endswith(style.MORE_DEFINITIONS) and 0 < fitted.count(sentence) < 6
    assert grouped == "Sources: Eurostat (“Returns”, ec.europa.eu/a and ec.europa.eu/a2; “Orders”, ec.europa.eu/b)."
    untitled = [{"publisher": "FIDH", "source_url": f"https://fidh.org/{page}"} for page in "xy"]
    assert style.source_line(untitled) == "Sources: FIDH (fidh.org/x; fidh.org/y)."
    assert style.source_line(untitled[:1] * 2) == "Source: FIDH, fidh.org/x."
    fig, _ = style.frame(style.Header("A finding", fitted), [grouped], 1.0)
    assert style.layout_problems(fig) == []
    plt.close(fig)


def test_source_line_drops_words_the_font_cannot_draw_and_keeps_the_address():
    from pipelines.charts.style import renderable, source_line

    row = {"publisher": "MGR Online (ผู้จัดการออนไลน์)", "source_title": "ข่าว", "source_url": "https://www.x.th/a/1"}
    assert source_line([row]) == "Source: MGR Online, x.th/a/1."
    assert not renderable("שלום") and not renderable("مرحبا") and renderable("Привет, Astana")


def test_cross_jurisdiction_uses_a_log_scale_and_latest_period(built):
    with connect(built) as con:
        latest = dict(
            con.execute(
                "SELECT jurisdiction, coalesce(max(period_end) FILTER (WHERE subdivision IS NULL), max(period_end)) "
                "FROM comparisons WHERE ratio IS NOT NULL GROUP BY 1"
            ).fetchall()
        )
    with (built.charts_dir / "cross_jurisdiction_latest.csv").open(encoding="utf-8", newline="") as handle:
        plotted = {row["jurisdiction"]: row["period_end"] for row in csv.DictReader(handle)}
    assert plotted == {code: day.isoformat() for code, day in latest.items()}
    assert "(log scale)" in svg_text(built.charts_dir / "cross_jurisdiction_latest.svg")


def test_labels_say_which_part_of_a_measure_a_figure_counts(built):
    """A figure with a breakdown (Japan 2015: 7,973 of 12,272 found working illegally...) is labelled with it."""
    from pipelines.charts.headline import ComparisonKey

    with connect(built) as con:
        *key, breakdown = con.execute(
            "SELECT jurisdiction, subdivision, period_start, period_end, coalesce(migrants_breakdown, "
            "employers_breakdown) AS part FROM comparisons WHERE ratio IS NOT NULL AND part IS NOT NULL "
            "ORDER BY ALL LIMIT 1"
        ).fetchone()
    stem = ComparisonKey(*key).stem
    assert f"part counted: {breakdown})" in svg_text(built.charts_dir / f"{stem}.svg")
    with (built.charts_dir / f"{stem}.csv").open(encoding="utf-8", newline="") as handle:
        assert breakdown in {row["breakdown"] for row in csv.DictReader(handle)}
    with (built.charts_dir / "cross_jurisdiction_latest.csv").open(encoding="utf-8", newline="") as handle:
        parts = [row[f"{g}_breakdown"] for row in csv.DictReader(handle) for g in ("migrants", "employers")]
    text = svg_text(built.charts_dir / "cross_jurisdiction_latest.svg")
    assert [part for part in parts if part]  # the shipped data has latest pairs with a breakdown
    assert all(f"({part})" in text for part in parts if part)


def test_coverage_matrix_counts_every_figure(built):
    with (built.charts_dir / "coverage_matrix.csv").open(encoding="utf-8", newline="") as handle:
        cells = list(csv.DictReader(handle))
    with connect(built) as con:
        total = con.execute("SELECT count(*) FROM observations").fetchone()[0]
    assert sum(int(c["migrants_figures"]) + int(c["employers_figures"]) for c in cells) == total
    kaz_2008 = next(c for c in cells if c["jurisdiction"] == "KAZ" and c["year"] == "2008")
    assert kaz_2008["coverage"] == "both" and int(kaz_2008["comparable_pairs"]) >= 2


def test_coverage_matrix_marks_cells_without_an_official_figure(small):
    """KAZ 2008 rests on FIDH's sheet rows only (old header: source type unknown): pale and hatched; Sweden 2015
    has Eurostat's official totals: a plain cell."""
    with (small.charts_dir / "coverage_matrix.csv").open(encoding="utf-8", newline="") as handle:
        cells = {(row["jurisdiction"], row["year"]): row for row in csv.DictReader(handle)}
    assert cells[("KAZ", "2008")]["official"] == "none" and cells[("KAZ", "2008")]["migrants_official"] == "0"
    assert cells[("SWE", "2015")]["official"] == "all"
    svg = small.charts_dir / "coverage_matrix.svg"
    fills = {
        node.get("id"): child.get("style")
        for node in ET.fromstring(svg.read_text(encoding="utf-8")).iter()
        if (node.get("id") or "").startswith("cell-")
        for child in node
    }
    assert "fill: url(#" in fills["cell-KAZ-2008"]  # the hatch pattern
    assert "fill: url(#" not in fills["cell-SWE-2015"]
    assert "pale, hatched: a side with no official figure" in svg_text(svg)


# --- Eurostat ----------------------------------------------------------------------------------------------------


def test_eurostat_asset_succeeds_and_says_so_when_there_are_no_rows(tmp_path):
    layout = sample_project(tmp_path)
    with dg.DagsterInstance.ephemeral() as instance:
        built = build_definitions(layout).resolve_job_def("rebuild_warehouse").execute_in_process(instance=instance)
    assert built.success
    result = materialise_keys(layout, [["charts", "eurostat_series"]])
    assert result.success
    metadata = materialisation(result, ["charts", "eurostat_series"]).metadata
    assert metadata["charts"].value == 0
    assert "no Eurostat-kind source" in metadata["status"].value
    assert not list(layout.charts_dir.glob("eurostat_*.svg"))


def test_eurostat_series_are_drawn_from_eurostat_sources(small):
    entries = json.loads((small.charts_dir / "eurostat_series.index.json").read_text())
    assert [entry["stem"] for entry in entries] == ["eurostat_fra", "eurostat_swe"]
    with (small.charts_dir / "eurostat_swe.csv").open(encoding="utf-8", newline="") as handle:
        plotted = {(row["measure"], row["year"]): float(row["value"]) for row in csv.DictReader(handle)}
    assert plotted[("detected_violation", "2015")] == 1445
    assert plotted[("returned", "2016")] == 11865
    assert len(plotted) == 11
    text = svg_text(small.charts_dir / "eurostat_swe.svg")
    # the title speaks of the series with the most years (ordered to leave: 2014-2016), not of whichever ends last
    assert "Sweden, 2014–2016: third-country nationals ordered to leave rose from 14,280 to 17,585" in text
    assert "2015 found illegally present: b = break in time series." in text
    assert "Sources: Eurostat" in text
    with (small.charts_dir / "eurostat_swe.csv").open(encoding="utf-8", newline="") as handle:
        sources = {row["source_id"] for row in csv.DictReader(handle)}
    assert sources == {"eurostat_sample"}  # the curated sheet's copies (EUR-EIPRE-SE-*) are not drawn twice
    assert 'id="eurostat_swe"' in (small.report_dir / "index.html").read_text(encoding="utf-8")
    assert "geo=SE time=2015" in (small.report_dir / "figures.csv").read_text(encoding="utf-8")


# --- determinism and pixels --------------------------------------------------------------------------------------


def test_same_data_gives_byte_identical_svg(small, tmp_path):
    from pipelines.assets.charts import KAZAKHSTAN_2008
    from pipelines.charts.chart import write_chart
    from pipelines.charts.headline import ComparisonKey, build_headline

    digests = []
    for attempt in ("first", "second"):
        with connect(small) as con:
            files = write_chart(build_headline(con, ComparisonKey(*KAZAKHSTAN_2008)), tmp_path / attempt)
        digests.append(hashlib.sha256(files.files["svg"].read_bytes()).hexdigest())
    written_by_the_asset = hashlib.sha256((small.charts_dir / "headline_kaz_2008.svg").read_bytes()).hexdigest()
    assert digests[0] == digests[1] == written_by_the_asset


def test_another_process_draws_the_same_svg_bytes(small, tmp_path):
    """A fresh interpreter with a different hash seed gives the same file (no set order, clock or salt leaks in)."""
    code = (
        "import sys, duckdb; from pathlib import Path; from pipelines.charts.chart import write_chart; "
        "from pipelines.charts.headline import ComparisonKey, build_headline; "
        "from pipelines.assets.charts import KAZAKHSTAN_2008; "
        "con = duckdb.connect(sys.argv[1], read_only=True); "
        "write_chart(build_headline(con, ComparisonKey(*KAZAKHSTAN_2008)), Path(sys.argv[2]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-c", code, str(small.warehouse_path), str(tmp_path)], check=True, env=env, cwd=REPO
    )
    assert (tmp_path / "headline_kaz_2008.svg").read_bytes() == (
        small.charts_dir / "headline_kaz_2008.svg"
    ).read_bytes()


def baseline_charts(layout: Layout) -> dict:
    from pipelines.assets.charts import KAZAKHSTAN_2008
    from pipelines.charts import coverage, headline, ratios

    with connect(layout) as con:
        return {
            "headline_kaz_2008": headline.build_headline(con, headline.ComparisonKey(*KAZAKHSTAN_2008)),
            "ratio_over_time_kaz": ratios.build_ratio_over_time(con, "KAZ", None),
            "coverage_matrix": coverage.build_coverage(con),
        }


@pytest.mark.parametrize("name", ["headline_kaz_2008", "ratio_over_time_kaz", "coverage_matrix"])
def test_chart_matches_its_baseline(small, tmp_path, name):
    from matplotlib.testing.compare import compare_images

    from pipelines.charts import style

    chart = baseline_charts(small)[name]
    actual = tmp_path / f"{name}.png"
    chart.draw().savefig(actual, dpi=BASELINE_DPI)
    style.pyplot().close("all")
    expected = BASELINES / f"{name}.png"
    if os.environ.get("UPDATE_CHART_BASELINES"):
        shutil.copy(actual, expected)
    assert expected.exists(), f"no baseline {expected}: see this module's docstring"
    difference = compare_images(str(expected), str(actual), tol=2.0)
    assert difference is None, difference


def test_baselines_are_small():
    sizes = {path.name: path.stat().st_size for path in BASELINES.glob("*.png")}
    assert len(sizes) == 3 and all(size < 80_000 for size in sizes.values()), sizes


def test_chart_assets_show_a_small_thumbnail_and_file_paths(built_copy):
    from pipelines.assets.charts import CHART_ASSETS

    result = materialise_keys(built_copy, [["charts", "ratio_over_time"], ["charts", "coverage_matrix"]])
    assert result.success
    for name in ("ratio_over_time", "coverage_matrix"):
        metadata = materialisation(result, ["charts", name]).metadata
        thumbnail = metadata["thumbnail"].value
        assert thumbnail.startswith("![") and "data:image/png;base64," in thumbnail
        assert len(thumbnail) < 100_000
        assert sum(len(str(value.value)) for value in metadata.values()) < 120_000
    coverage = materialisation(result, ["charts", "coverage_matrix"]).metadata
    assert coverage["file_svg"].value == "assets/charts/coverage_matrix.svg"
    encoded = coverage["thumbnail"].value.split("base64,", 1)[1].rstrip(")")
    with Image.open(io.BytesIO(base64.b64decode(encoded))) as thumbnail:
        assert thumbnail.format == "PNG" and 50 <= max(thumbnail.size) <= 480

    kept = {path.name: path.stat().st_mtime_ns for path in built_copy.thumbnails_dir.glob("*.png")}
    # one thumbnail per chart asset (of its first chart), named after the asset
    assert sorted(name.split(".")[0] for name in kept) == sorted(CHART_ASSETS), kept
    again = materialise_keys(built_copy, [["charts", "coverage_matrix"]])
    assert materialisation(again, ["charts", "coverage_matrix"]).metadata["thumbnail"] == coverage["thumbnail"]
    assert {path.name: path.stat().st_mtime_ns for path in built_copy.thumbnails_dir.glob("*.png")} == kept

    coverage_kept = next(name for name in kept if name.startswith("coverage_matrix."))
    (built_copy.thumbnails_dir / coverage_kept).unlink()  # made again, and an older chart's thumbnail removed
    (built_copy.thumbnails_dir / "coverage_matrix.0000000000000000.png").write_bytes(b"an older thumbnail")
    (built_copy.thumbnails_dir / "eurostat_aut.0000000000000000.png").write_bytes(b"named after a chart, as before")
    assert materialise_keys(built_copy, [["charts", "coverage_matrix"]]).success
    assert [path.name for path in built_copy.thumbnails_dir.glob("coverage_matrix.*")] == [coverage_kept]
    assert sorted(path.name for path in built_copy.thumbnails_dir.glob("*.png")) == sorted(kept)


def test_a_chart_no_longer_drawn_is_removed(built_copy):
    stale = {"stem": "ratio_over_time_xyz", "files": {"svg": "ratio_over_time_xyz.svg"}}
    index = built_copy.charts_dir / "ratio_over_time.index.json"
    entries = json.loads(index.read_text())
    index.write_text(json.dumps([*entries, stale]))
    (built_copy.charts_dir / "ratio_over_time_xyz.svg").write_text("<svg/>")
    assert materialise_keys(built_copy, [["charts", "ratio_over_time"]]).success
    assert not (built_copy.charts_dir / "ratio_over_time_xyz.svg").exists()
    assert all((built_copy.charts_dir / entry["files"]["svg"]).exists() for entry in entries)


def redrawn(layout: Layout, name: str) -> int:
    result = materialise_keys(layout, [["charts", name]])
    assert result.success
    return materialisation(result, ["charts", name]).metadata["redrawn"].value


def test_only_charts_whose_rows_changed_are_redrawn(built_copy):
    charts = built_copy.charts_dir
    entries = {entry["stem"]: entry for entry in json.loads((charts / "headline_comparisons.index.json").read_text())}
    assert len(entries) > 3
    before = chart_file_times(charts)
    assert redrawn(built_copy, "headline_comparisons") == 0
    assert chart_file_times(charts) == before

    with duckdb.connect(str(built_copy.warehouse_path)) as con:  # the sheet file was edited elsewhere
        con.execute("UPDATE sources SET sha256 = repeat('a', 64) WHERE kind = 'figure_sheet'")
    assert redrawn(built_copy, "headline_comparisons") == 0
    assert chart_file_times(charts) == before
    assert all("a" * 64 in (charts / entry["files"]["csv"]).read_text() for entry in entries.values())

    changed = next(iter(entries.values()))
    figure_id = changed["figure_ids"][0]
    with duckdb.connect(str(built_copy.warehouse_path)) as con:
        old = con.execute("SELECT value FROM observations WHERE figure_id = ?", [figure_id]).fetchone()[0]
        con.execute("UPDATE observations SET value = value + 1 WHERE figure_id = ?", [figure_id])
    assert redrawn(built_copy, "headline_comparisons") == 1
    after = {entry["stem"]: entry for entry in json.loads((charts / "headline_comparisons.index.json").read_text())}
    assert after[changed["stem"]]["fingerprint"] != changed["fingerprint"]
    assert f"{old + 1:,.0f}" in svg_text(charts / changed["files"]["svg"])
    unchanged = [stem for stem in entries if stem != changed["stem"]]
    assert all(after[stem]["fingerprint"] == entries[stem]["fingerprint"] for stem in unchanged)


def chart_file_times(charts: Path) -> dict[str, int]:
    """Modification times of the headline charts' images (the index and the CSVs are rewritten every run)."""
    images = (path for path in charts.glob("headline_*") if path.suffix.lstrip(".") in ("svg", "png", "pdf"))
    return {path.name: path.stat().st_mtime_ns for path in images}


def test_a_chart_whose_files_were_changed_or_removed_is_redrawn(built_copy):
    charts = built_copy.charts_dir
    svg = charts / "coverage_matrix.svg"
    drawn = svg.read_bytes()
    svg.write_text("<svg/>")
    assert redrawn(built_copy, "coverage_matrix") == 1
    assert svg.read_bytes() == drawn
    (charts / "coverage_matrix.png").unlink()
    assert redrawn(built_copy, "coverage_matrix") == 1
    assert (charts / "coverage_matrix.png").stat().st_size > 10_000


def test_fingerprint_follows_the_drawing_code_and_what_draw_reads(small, monkeypatch):
    from pipelines.assets.charts import KAZAKHSTAN_2008
    from pipelines.charts import chart as chart_module
    from pipelines.charts.headline import ComparisonKey, build_headline

    with connect(small) as con:
        first, second = (build_headline(con, ComparisonKey(*KAZAKHSTAN_2008)) for _ in range(2))
    original = first.fingerprint()
    assert second.fingerprint() == original
    captured = {id(cell.cell_contents): cell.cell_contents for cell in second.draw.__closure__}
    rows = next(value for value in captured.values() if isinstance(value, list) and value and "label" in value[0])
    rows[0]["label"] = "relabelled"  # a value draw() reads, changed after the plotted copy was taken
    assert second.fingerprint() != original
    assert build_headline_fingerprint(small) == original
    monkeypatch.setattr(chart_module, "drawing_version", lambda: "another version of the drawing code")
    assert build_headline_fingerprint(small) != original


def build_headline_fingerprint(layout: Layout) -> str:
    from pipelines.assets.charts import KAZAKHSTAN_2008
    from pipelines.charts.headline import ComparisonKey, build_headline

    with connect(layout) as con:
        return build_headline(con, ComparisonKey(*KAZAKHSTAN_2008)).fingerprint()


def test_png_is_at_least_200_dpi(built):
    from PIL import Image

    with Image.open(built.charts_dir / "headline_kaz_2008.png") as image:
        assert round(image.info["dpi"][0]) >= 200


def test_readme_lists_every_chart_file_pattern():
    from pipelines.assets.charts import CHART_ASSETS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert all(files in readme for _, files in CHART_ASSETS.values())
