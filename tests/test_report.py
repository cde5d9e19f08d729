"""The report pack: findings first in HTML, PDF and DOCX, citations a reference manager imports, any subset, and
a valid data package."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from html import escape
from html.parser import HTMLParser

import dagster as dg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import failure_text
from pipelines.exports import FORMULA_STARTS

SUBSET = ("KAZ", "RUS", 2008, 2015)


class Page(HTMLParser):
    """Collects headings, images, links, sections, table rows and external resources of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict] = []
        self.links: list[str] = []
        self.sections: list[str] = []
        self.headings: list[str] = []
        self.external: list[str] = []
        self.summary_rows: list[list[str]] = []
        self.captions: list[str] = []
        self.figures: list[str] = []
        self._open: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img":
            self.images.append(attributes)
        if tag == "a":
            self.links.append(attributes.get("href") or "")
        if tag == "section":
            self.sections.append(attributes["id"])
        if tag == "figure":
            self.figures.append(attributes["id"])
        if tag == "table" and attributes.get("class") == "summary":
            self._open.append("summary")
        if tag in ("h1", "h2", "h3", "figcaption", "tr"):
            self._text = []
        if tag in ("script", "link") or (tag == "img" and "://" in attributes["src"]):
            self.external.append(tag)

    def handle_endtag(self, tag):
        text = "".join(self._text).strip()
        if tag in ("h1", "h2"):
            self.headings.append(text)
        if tag == "figcaption":
            self.captions.append(text)
        if tag == "tr" and self._open == ["summary"] and text:
            self.summary_rows.append(text)
        if tag == "table" and self._open:
            self._open.pop()

    def handle_data(self, data):
        self._text.append(data)


def parsed(folder) -> Page:
    page = Page()
    page.feed((folder / "index.html").read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def subset(built, tmp_path_factory):
    """The pack for Kazakhstan and Russia, 2008–2015, written by the command line into a folder of its own."""
    out = tmp_path_factory.mktemp("subset")
    jurisdictions, first, last = ",".join(SUBSET[:2]), str(SUBSET[2]), str(SUBSET[3])
    command = [sys.executable, "-m", "pipelines", "report", "--jurisdictions", jurisdictions, "--from", first,
               "--to", last, "--out", str(out)]  # fmt: skip
    done = subprocess.run(command, env={**os.environ, "ENFORCEMENT_ROOT": str(built.root)}, capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    # Not a terminal: the progress comes as plain lines, one per step, the last one the PDF written in parallel.
    steps = [line for line in done.stdout.splitlines() if line.startswith("report pack: ")]
    assert [step.split(",")[0] for step in steps] == [f"report pack: {n}/6" for n in range(1, 7)], done.stdout
    assert steps[-1].endswith("wrote report.pdf") and "\r" not in done.stdout
    return out


def latest_pair_places(built) -> set[str]:
    """Jurisdictions with a like-for-like pair that has a ratio (national, or else a region's), by name."""
    import duckdb

    from pipelines import wording

    with duckdb.connect(str(built.warehouse_path), read_only=True) as con:
        codes = con.execute("SELECT DISTINCT jurisdiction FROM comparisons WHERE ratio IS NOT NULL").fetchall()
    return {wording.place(code, None) for (code,) in codes}


def test_html_opens_with_the_summary_then_jurisdictions_methods_and_citations(built):
    from pipelines import vocabulary
    from pipelines.report.build import SOURCE_TYPE_WORDS

    page = parsed(built.report_dir)
    assert page.sections[0] == "summary" and page.sections[-2:] == ["methods", "citations"]
    assert page.headings[1] == "Summary" and page.headings[-2:] == ["Methods and caveats", "Citations"]
    places = latest_pair_places(built)
    assert len(page.summary_rows) - 1 == len(places) > 5  # a header row, then a row per jurisdiction
    assert all(any(place in row for row in page.summary_rows) for place in places)
    kinds = [SOURCE_TYPE_WORDS.get(kind, kind.replace("_", " ")) for kind in vocabulary.source_types()]
    assert all(any(f"({kind})" in row for kind in kinds) for row in page.summary_rows[1:])  # the kind of source
    html = (built.report_dir / "index.html").read_text(encoding="utf-8")
    summary = html[html.index('<section id="summary">') : html.index("</section>")]
    order = [summary.index(part) for part in ("<p>When a state", 'class="finding"', 'class="summary"', "<figure")]
    assert order == sorted(order)  # the question, the finding in words, the table, then the chart
    assert '<figure id="cross_jurisdiction_latest" class="own-page">' in summary
    assert page.external == []  # works offline: no scripts, stylesheets or remote images
    assert len(page.images) > 50
    for image in page.images:  # every chart is an SVG file beside the page
        svg = (built.report_dir / image["src"]).read_text(encoding="utf-8")
        assert svg.startswith("<?xml") and "<svg" in svg
    assert (built.report_dir / "index.html").stat().st_size <= 3_000_000


def test_methods_list_the_changes_since_the_previous_version(built):
    import duckdb

    from pipelines.changes import run_changes, short_summary

    with duckdb.connect(str(built.warehouse_path), read_only=True) as con:
        lines = short_summary(run_changes(con))
    html = (built.report_dir / "index.html").read_text(encoding="utf-8")
    methods = html[html.index('<section id="methods">') : html.index('<section id="citations">')]
    assert "Changes since the previous version" in methods
    assert lines and all(escape(line) in methods for line in lines)


def test_html_links_every_source_of_every_quoted_figure(built):
    import duckdb

    page = parsed(built.report_dir)
    with duckdb.connect(str(built.warehouse_path), read_only=True) as con:
        urls = {url for (url,) in con.execute("SELECT DISTINCT source_url FROM observations").fetchall()}
    cited = {reference["URL"] for reference in json.loads((built.report_dir / "citations.json").read_text())}
    assert cited and cited <= urls and cited <= set(page.links)
    html = (built.report_dir / "index.html").read_text(encoding="utf-8")
    assert "136,000 foreigners were arrested" in html
    for script_sample in ("выдворены", "적발", "ดำเนินคดี", "הורחקו"):  # Cyrillic, Hangul, Thai, Hebrew quotes as text
        assert script_sample in html, script_sample


def test_citations_parse_with_real_parsers_and_every_caption_key_resolves(built):
    import bibtexparser
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    bib = bibtexparser.loads((built.report_dir / "citations.bib").read_text(encoding="utf-8"))
    csl = json.loads((built.report_dir / "citations.json").read_text(encoding="utf-8"))
    keys = [entry["ID"] for entry in bib.entries]
    assert keys == [item["id"] for item in csl] and len(set(keys)) == len(keys) > 50
    assert all(entry["url"].startswith("http") and entry["urldate"] for entry in bib.entries)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(csl), formatter.plain)
    for key in keys:
        bibliography.register(Citation([CitationItem(key)]))
    rendered = [str(entry) for entry in bibliography.bibliography()]
    assert len(rendered) == len(keys)
    assert all(any(f"Available at: {item['URL']} (Accessed: " in text for text in rendered) for item in csl)
    page = parsed(built.report_dir)
    assert len(page.captions) == len(page.images)
    for figure, caption in zip(page.figures, page.captions, strict=True):
        cited = re.findall(r"\[(\d+)\] (\S+?)[,;.](?:\s|$)", caption)
        assert cited or figure == "coverage_matrix", caption  # it counts figures, citing the datasets
        for number, key in cited:
            assert keys[int(number) - 1] == key  # numbered in the order of citations.bib
    for row in page.summary_rows[1:]:
        assert re.search(r"\[\d+\] \S+-(\d{4}|nd)-[0-9a-f]{4}", row), row


def test_citation_keys_do_not_depend_on_the_other_documents(built):
    import duckdb

    from pipelines.charts.chart import fetch
    from pipelines.report.citations import references

    with duckdb.connect(str(built.warehouse_path), read_only=True) as con:
        rows = fetch(con, "SELECT * FROM observations_cited ORDER BY figure_id")
    everything = {url: reference.key for url, reference in references(rows).items()}
    half = {url: reference.key for url, reference in references(rows[::2]).items()}
    assert half and all(everything[url] == key for url, key in half.items())


def test_pdf_has_the_same_structure_and_stays_small(built):
    pdf = (built.report_dir / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) <= 8_000_000
    text = pdf_text(built.report_dir / "report.pdf")
    order = [text.index(heading) for heading in ("Summary", "Kazakhstan", "Methods and caveats", "Citations")]
    assert order == sorted(order)
    assert all(place in text for place in latest_pair_places(built))
    assert len(re.findall(rb"/Subtype\s*/Image", pdf)) >= len(parsed(built.report_dir).images)


def test_pdf_page_one_has_the_question_finding_and_table_and_the_chart_its_own_pages(built):
    from pipelines.report.build import QUESTION

    path = built.report_dir / "report.pdf"
    places = sorted(latest_pair_places(built))
    first = " ".join(pdf_text(path, 1).split())
    assert " ".join(QUESTION.split()[:12]) in first and "latest like-for-like figures count more migrants" in first
    assert "Place, period" in first and any(place in first for place in places)
    images = [line.split() for line in run(["pdfimages", "-list", "-f", "1", "-l", "8", str(path)]).splitlines()[2:]]
    chart_pages = sorted({int(image[0]) for image in images if image[2] == "image"})
    table_pages = range(1, chart_pages[0])
    for number in table_pages:  # the table runs on with its header; the chart only starts after it
        assert "Place, period" in pdf_text(path, number), number
    table_text = pdf_text(path, 1, table_pages[-1])
    assert all(place.split()[0] in table_text for place in places)  # every row (a long name wraps in its cell)
    assert "Figure 1." in pdf_text(path, chart_pages[0], chart_pages[-1])
    assert not any(place in pdf_text(path, chart_pages[0]) for place in ("Place, period", "Summary"))
    text_width_inches = (210 - 2 * 14) / 25.4  # A4 with 14 mm margins
    for image in images:
        if image[2] == "image" and int(image[0]) in chart_pages[:2]:
            width, x_ppi = int(image[3]), float(image[12])
            assert width / x_ppi >= 0.8 * text_width_inches, image  # shown at least 80 % of the text width


def test_docx_has_the_same_structure_with_every_chart(built):
    from docx import Document

    document = Document(str(built.report_dir / "report.docx"))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == "Summary" and "Methods and caveats" in headings and headings[-1] == "Citations"
    summary = document.tables[0]
    assert [cell.text for cell in summary.rows[0].cells][:3] == ["Place, period", "Migrants side", "Employers side"]
    assert len(summary.rows) - 1 == len(latest_pair_places(built))
    charts = built.report_dir / "charts"
    parts = list(charts.glob("*.part*.png"))  # a chart taller than a page, shown a page-sized part at a time
    split = {part.name.split(".part")[0] for part in parts}
    images = len(parsed(built.report_dir).images)
    assert "cross_jurisdiction_latest" in split and len(document.inline_shapes) == images - len(split) + len(parts)
    for shape in document.inline_shapes:
        assert shape.width.cm <= 16.6 and shape.height.cm <= 24.7  # inside an A4 or Letter page's margins
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption" and p.text.startswith("Source")]
    assert len(captions) == images


CELL_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn"), whitelist_characters="\t\n\r"), max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.lists(CELL_TEXT, min_size=1, max_size=4))
def test_docx_table_rows_are_the_xml_python_docx_makes_cell_by_cell(texts):
    """The DOCX's tables are written as XML: the same XML as python-docx's own calls, cell by cell, for any text
    (markup characters, tabs, line breaks, leading and trailing spaces)."""
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.shared import Cm, Pt
    from lxml import etree

    from pipelines.report.docx import _table

    widths = tuple(2.0 + index for index in range(len(texts)))
    ours = Document()
    _table(ours, tuple(texts), widths, [list(texts)])
    theirs = Document()
    table = theirs.add_table(rows=0, cols=len(texts))
    table.style, table.autofit = "Table Grid", False
    for heading in (True, False):
        row = table.add_row()
        for cell, text, width in zip(row.cells, texts, widths, strict=True):
            cell.width = Cm(width)
            run = cell.paragraphs[0].add_run(text)
            run.font.size = Pt(7.5)
            if heading:
                run.bold = True
        for tag in ("w:cantSplit", "w:tblHeader") if heading else ("w:cantSplit",):
            row._tr.get_or_add_trPr().append(OxmlElement(tag))
    assert etree.tostring(ours.element.body) == etree.tostring(theirs.element.body)


def test_docx_summary_is_question_finding_table_then_the_chart_on_its_own_pages(built):
    from docx import Document
    from docx.oxml.ns import qn

    from pipelines.report.build import QUESTION

    document = Document(str(built.report_dir / "report.docx"))
    body = list(document.element.body)
    texts = [docx_text(node) for node in body]
    question = texts.index(QUESTION)
    assert "latest like-for-like figures count more migrants" in texts[question + 1]
    table = body[question + 2]
    assert table.tag == qn("w:tbl") and table.find(f".//{qn('w:tblHeader')}") is not None  # header on every page
    assert len(table.findall(f".//{qn('w:cantSplit')}")) == len(table.findall(qn("w:tr")))  # rows stay whole
    picture = next(node for node in body[question + 3 :] if node.find(f".//{qn('w:drawing')}") is not None)
    assert picture.find(f".//{qn('w:pageBreakBefore')}") is not None
    first_chart = document.inline_shapes[0]
    assert first_chart.width.cm >= 0.8 * 16.5  # at least 80 % of the text width


def test_subset_mentions_only_its_jurisdictions_and_years(built, subset):
    import csv as csv_module

    from pipelines import wording
    from pipelines.report.build import NO_CONFLICTS

    page = parsed(subset)
    assert page.headings[2:4] == ["Kazakhstan", "Russian Federation"]
    assert len(page.summary_rows) == 3
    for name in ("figures.csv", "comparisons.csv"):
        with (subset / name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv_module.DictReader(handle))
        assert rows and {row["jurisdiction"] for row in rows} == {"KAZ", "RUS"}
        assert all(2008 <= int(row["period_end"][:4]) <= 2015 for row in rows)
        assert all(int((row["period_start"] or row["period_end"])[:4]) >= 2008 for row in rows)
    html = (subset / "index.html").read_text(encoding="utf-8")
    others = latest_pair_places(built) - {"Kazakhstan", "Russian Federation"}
    assert others and not [place for place in others if place in html]
    assert NO_CONFLICTS in html  # the conflicts are all elsewhere
    assert "US ICE" not in html  # the full definition of 'arrested' gives a US example: a selection leaves it out
    captions = re.sub(r"\[\d+\] \S+", "", " ".join(page.captions))  # citation keys carry the year published
    years = {int(year) for year in re.findall(r"(?<![\d,])((?:19|20)\d\d)(?![\d,])", captions)}
    assert years and min(years) >= 2008 and max(years) <= 2015
    assert wording.place("KAZ", None) in pdf_text(subset / "report.pdf")


def test_report_asset_takes_the_selection_as_run_config(built_copy):
    from pipelines.definitions import build_definitions

    report = build_definitions(built_copy).get_assets_def(dg.AssetKey(["reports", "report_pack"]))
    config = {"jurisdictions": ["kaz"], "from_year": 2008, "to_year": 2010}
    result = dg.materialize(
        [report], instance=dg.DagsterInstance.ephemeral(),
        run_config={"ops": {"reports__report_pack": {"config": config}}},
    )  # fmt: skip
    metadata = result.asset_materializations_for_node("reports__report_pack")[0].metadata
    assert metadata["selection"].value == "Kazakhstan, 2008–2010"
    out = built_copy.report_dir / "selections" / "kaz_2008-2010"
    assert parsed(out).headings[1:3] == ["Summary", "Kazakhstan"]
    wrong = {"ops": {"reports__report_pack": {"config": {"jurisdictions": ["Kazakhstan"]}}}}
    failed = dg.materialize([report], instance=dg.DagsterInstance.ephemeral(), run_config=wrong, raise_on_error=False)
    assert not failed.success
    assert "'KAZAKHSTAN': expected an ISO 3166-1 alpha-3 code such as KAZ" in failure_text(failed)


def test_docx_opens_in_libreoffice_with_every_image(subset, tmp_path):
    from docx import Document

    require("soffice", "libreoffice-writer-nogui")
    require("pdfimages", "poppler-utils")
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(subset / "report.docx")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    converted = tmp_path / "report.pdf"
    assert converted.exists(), done.stderr
    pages = int(re.search(r"Pages:\s+(\d+)", run(["pdfinfo", str(converted)])).group(1))
    assert 3 <= pages <= 40
    listed = run(["pdfimages", "-list", str(converted)]).splitlines()[2:]
    images = [line for line in listed if line.split()[2] == "image"]  # not the soft masks of transparent ones
    assert len(images) == len(Document(str(subset / "report.docx")).inline_shapes) >= 2


def run(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def require(program: str, package: str) -> None:
    """Skip without `program` locally; fail under CI, whose .ci/run installs it."""
    if not shutil.which(program):
        message = f"{program} not found: apt-get install {package} (.ci/run does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


def docx_text(element) -> str:
    """The text of a DOCX body element (paragraph, table, row or cell)."""
    return "".join(element.xpath(".//w:t/text()"))


def pdf_text(path, first: int | None = None, last: int | None = None) -> str:
    """The PDF's text (pages `first` to `last`, or `first` alone), laid out as on the page."""
    require("pdftotext", "poppler-utils")
    pages = [] if first is None else ["-f", str(first), "-l", str(last or first)]
    return run(["pdftotext", "-layout", *pages, str(path), "-"])


def test_pdf_prints_a_gloss_for_quotes_its_font_cannot_draw():
    from pipelines.charts import style
    from pipelines.report.pdf import quote_text

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


def test_pdf_of_the_shipped_figures_has_no_missing_glyphs(built_run):
    """The shared build's report pack says which characters its PDF shows as boxes: none, although the shipped
    quotes include scripts its font lacks (they are printed as glosses)."""
    import duckdb

    with duckdb.connect(str(built_run.layout.warehouse_path), read_only=True) as con:
        languages = {language for (language,) in con.execute("SELECT DISTINCT language FROM observations").fetchall()}
    assert {"ar", "he", "ja", "ko", "th", "ru", "kk"} <= languages  # the hard scripts are really in it
    (report,) = [
        event.event_specific_data.materialization
        for event in built_run.events
        if event.is_step_materialization and event.asset_key == dg.AssetKey(["reports", "report_pack"])
    ]
    assert report.metadata["pdf_missing_glyphs"].value == "none"


def test_missing_glyphs_names_each_character_the_font_draws_as_a_box():
    from pipelines.report.pdf import _new_pdf, missing_glyphs

    pdf = _new_pdf([])
    pdf.add_page()
    pdf.set_font("DejaVu", size=9)
    pdf.cell(text="Kazakhstan 2008: 1 800")
    assert missing_glyphs(pdf) == ()
    pdf.cell(text="ดำเนินคดี 156 ราย")  # Thai: DejaVu Sans has none of it
    pdf.output()
    assert set(missing_glyphs(pdf)) == set("ดำเนินคดีราย")


def test_every_format_lists_each_conflict_and_the_alternatives_of_the_figures_it_shows(built):
    import duckdb
    from docx import Document
    from docx.oxml.ns import qn

    keys = {item["URL"]: item["id"] for item in json.loads((built.report_dir / "citations.json").read_text())}
    with duckdb.connect(str(built.warehouse_path), read_only=True) as con:
        conflicts = con.execute(
            "SELECT preferred_figure_id, preferred_source_url, other_figure_id, other_source_url, resolved_by "
            "FROM conflicts"
        ).fetchall()
        germany, alternatives = con.execute(
            "SELECT figure_id, alternatives FROM preferred_observations WHERE jurisdiction = 'DEU' "
            "AND measure = 'detected_violation' AND period_end = DATE '2015-12-31' AND breakdown IS NULL"
        ).fetchone()
    assert {resolved_by for *_, resolved_by in conflicts} == {"source_type", None}  # settled and unsettled
    expected = [
        [preferred, keys[preferred_url], other, keys[other_url], "Not settled" if how is None else "Kind of source"]
        for preferred, preferred_url, other, other_url, how in conflicts
    ]
    html = (built.report_dir / "index.html").read_text(encoding="utf-8")
    pdf = pdf_text(built.report_dir / "report.pdf")
    document = Document(str(built.report_dir / "report.docx"))
    body = list(document.element.body)
    texts = [docx_text(node) for node in body]
    in_html = html[html.index("<h3>Conflicting figures</h3>") : html.index("<h3>Datasets</h3>")]
    in_pdf = pdf[pdf.index("Conflicting figures") : pdf.rindex("Datasets")]
    table = body[texts.index("Conflicting figures") + 2]
    rows = [[docx_text(cell) for cell in row] for row in table.iter(qn("w:tr"))]
    assert len(rows) == len(conflicts) + 1  # a heading row, then one row per conflict
    for words, row in zip(expected, rows[1:], strict=True):
        assert all(word in in_html and word in in_pdf for word in words), words
        assert all(word in " ".join(row) for word in words), (words, row)
    assert alternatives and alternatives[0]["agreement"] == "same"
    other = alternatives[0]["figure_id"]
    section = html[html.index('<section id="deu">') :]
    section = section[: section.index("</section>")]
    assert "Other figures for the same facts (Germany)" in section
    row = next(row for row in section.split("<tr>") if f"{other}:" in row)
    assert f"{germany}:" in row and "same value" in row
    assert f"{other}:" in pdf[pdf.index("Other figures for the same facts (Germany)") :]
    heading = texts.index("Other figures for the same facts (Germany)")
    assert f"{germany}:" in texts[heading + 1] and f"{other}:" in texts[heading + 1]  # the table after it
