"""The report pack: self-contained HTML with every chart and source, a PDF, and a valid data package."""

import base64
import csv
import json
import re
from datetime import date
from html.parser import HTMLParser

from pipelines.exports import FORMULA_STARTS


class Page(HTMLParser):
    """Collects images, links, sections and external resources of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict] = []
        self.links: list[str] = []
        self.sections: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img":
            self.images.append(attributes)
        if tag == "a":
            self.links.append(attributes.get("href") or "")
        if tag == "section":
            self.sections.append(attributes["id"])
        if tag in ("script", "link") or (tag == "img" and not attributes["src"].startswith("data:")):
            self.external.append(tag)


def parsed(layout) -> Page:
    page = Page()
    page.feed((layout.report_dir / "index.html").read_text(encoding="utf-8"))
    return page


def charts_in_order(layout) -> list[dict]:
    """Every chart the chart assets drew, in the order of the assets (the report's order)."""
    from pipelines.assets.charts import CHART_ASSETS

    return [
        entry
        for name in CHART_ASSETS
        for entry in json.loads((layout.charts_dir / f"{name}.index.json").read_text(encoding="utf-8"))
    ]


def test_html_has_every_chart_inline_with_its_title(built):
    page = parsed(built)
    entries = charts_in_order(built)
    assert page.sections == [entry["stem"] for entry in entries]
    assert len(page.images) == len(entries) > 50
    assert page.external == []  # works offline: no scripts, stylesheets or remote images
    for image, entry in zip(page.images, entries, strict=True):
        svg = base64.b64decode(image["src"].removeprefix("data:image/svg+xml;base64,")).decode("utf-8")
        assert svg.startswith("<?xml") and "<svg" in svg
        assert image["alt"] == entry["title"]


def test_html_links_every_source_of_every_figure_it_uses(built):
    import duckdb

    page = parsed(built)
    figure_ids = sorted({figure for entry in charts_in_order(built) for figure in entry["figure_ids"]})
    with duckdb.connect(str(built.warehouse_path), read_only=True) as con:
        urls = {
            url
            for (url,) in con.execute(
                "SELECT DISTINCT source_url FROM observations WHERE list_contains(?, figure_id)", [figure_ids]
            ).fetchall()
        }
    assert urls and urls <= set(page.links)
    html = (built.report_dir / "index.html").read_text(encoding="utf-8")
    assert "136,000 foreigners were arrested" in html
    for script_sample in ("выдворены", "적발", "ดำเนินคดี", "הורחקו"):  # Cyrillic, Hangul, Thai, Hebrew quotes as text
        assert script_sample in html, script_sample


def test_pdf_has_every_chart_and_no_undrawable_text(built):
    from pipelines.charts import style
    from pipelines.report.pdf import quote_text

    pdf = (built.report_dir / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages > len(charts_in_order(built))  # a cover page, then at least a page per chart
    thai = {
        "figure_id": "T", "jurisdiction": "THA", "subdivision": None, "period_start": None,
        "period_end": date(2018, 7, 15), "measure": "prosecuted", "target_group": "employers",
        "value": 156.0, "unit": "employers", "qualifier": "exact", "quote": "ดำเนินคดี 156 ราย", "language": "th",
        "notes": "Gloss: '156 employers were prosecuted.' 'ดำเนินคดี' = prosecution.", "source_url": "https://x.th",
    }  # fmt: skip
    printed = quote_text(thai)
    assert printed.startswith("[Thai original in index.html] Gloss: '156 employers were prosecuted.'")
    assert style.renderable(printed)
    assert quote_text({**thai, "quote": "Более 1 800 работодателей", "language": "ru"}).startswith("“Более")


def test_data_package_is_valid_and_names_sources_and_licences(built):
    from frictionless import Package

    descriptor = json.loads((built.report_dir / "datapackage.json").read_text(encoding="utf-8"))
    assert {resource["name"] for resource in descriptor["resources"]} == {"comparisons", "figures", "sources"}
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert descriptor["sources"] and all(source["title"] for source in descriptor["sources"])
    report = Package(str(built.report_dir / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    with (built.report_dir / "comparisons.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    kaz = next(row for row in rows if row["figure_ids"] == "KAZ-2008-FIDH-01;KAZ-2008-FIDH-03")
    assert float(kaz["ratio"]) == 136000 / 1800


def test_every_csv_the_report_writes_neutralises_formulas(built):
    for path in [*built.report_dir.glob("*.csv"), *built.charts_dir.glob("*.csv")]:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    assert not cell.startswith(FORMULA_STARTS) or _is_number(cell), (path.name, cell)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_pdf_of_the_shipped_figures_has_no_missing_glyphs(built, caplog):
    """fpdf2 logs every glyph its font lacks (a box on the page); the report must log none."""
    import logging

    import duckdb

    from pipelines.assets.charts import CHART_ASSETS
    from pipelines.report.build import sections
    from pipelines.report.pdf import render_pdf

    with duckdb.connect(str(built.warehouse_path), read_only=True) as con:
        found = sections(built, con, list(CHART_ASSETS))
        sources = [dict(zip(("date_accessed", "citation_full", "license", "raw_path", "sha256"), row, strict=True))
                   for row in con.execute("SELECT date_accessed, citation_full, license, raw_path, sha256 FROM sources")
                   .fetchall()]  # fmt: skip
    languages = {figure["language"] for section in found for figure in section.figures}
    assert {"ar", "he", "ja", "ko", "th", "ru", "kk"} <= languages  # the hard scripts are really in it
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        render_pdf(found, sources).output()
    assert not [record.getMessage() for record in caplog.records if "missing" in record.getMessage()]
