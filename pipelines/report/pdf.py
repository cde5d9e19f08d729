"""The report as one PDF, written with fpdf2 (pure Python: no system libraries, no browser).

The PDF uses the charts' own font, DejaVu Sans, which matplotlib ships, so `make run` needs no fonts from
the system. DejaVu Sans has no Thai, Japanese or Korean glyphs, and fpdf2 without a shaping engine would set
Hebrew and Arabic left to right and unjoined, so a quote the font cannot draw correctly is replaced by a
pointer to the original in the HTML report and the English gloss from the figure's notes (never boxes).
"""

from datetime import UTC, datetime
from pathlib import Path

from pipelines.charts import style
from pipelines.files import replaced_on_success
from pipelines.report.content import INTRO, TITLE, Section, describe

LANGUAGES = {
    "ar": "Arabic", "en": "English", "he": "Hebrew", "id": "Indonesian", "ja": "Japanese", "kk": "Kazakh",
    "ko": "Korean", "ms": "Malay", "ru": "Russian", "th": "Thai", "tr": "Turkish",
}  # fmt: skip
FONT = "DejaVu"
COLUMN_WIDTHS = (22, 14, 10, 54, 30)  # figure, value, qualifier, quote, source (relative)


def quote_text(row: dict) -> str:
    """The quote as printed: the original where the font draws it, else the English gloss from the notes."""
    cells = describe(row)
    if style.renderable(cells["quote"]):
        return f"“{cells['quote']}”"
    language = LANGUAGES.get(cells["language"], cells["language"] or "original-language")
    return f"[{language} original in index.html] {style.drawable(cells['notes'])}"


def _new_pdf(sources: list[dict]):
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    # Dated by the data, not the clock: the latest access date of its sources.
    accessed = max((str(s["date_accessed"] or "") for s in sources), default="") or "2000-01-01"
    pdf.set_creation_date(datetime.fromisoformat(accessed[:10]).replace(tzinfo=UTC))
    pdf.set_title(TITLE)
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(True, 14)
    pdf.add_font(FONT, "", style.font_path())
    pdf.add_font(FONT, "B", style.font_path("bold"))
    return pdf


def _paragraph(pdf, text: str, size: float, bold: bool = False, colour: tuple = (34, 34, 34)) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.5, style.drawable(text), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def _figures(pdf, section: Section) -> None:
    from fpdf.fonts import FontFace

    if not section.figures:
        return
    pdf.set_font(FONT, "", 6.5)
    pdf.set_text_color(34, 34, 34)
    heading = FontFace(emphasis="BOLD", fill_color=(242, 242, 242))
    with pdf.table(
        col_widths=COLUMN_WIDTHS, text_align="LEFT", headings_style=heading, line_height=3, padding=1
    ) as table:
        table.row(["Figure", "Value", "Qualifier", "Quote (or English gloss)", "Source"])
        for row in section.figures:
            cells = describe(row)
            line = table.row()
            line.cell(style.drawable(f"{cells['figure_id']}\n{cells['where_when']}\n{cells['measure']}"))
            line.cell(cells["value"])
            line.cell(cells["qualifier"])
            line.cell(quote_text(row))
            source = style.drawable(f"{cells['publisher']}\n{cells['source_url']}\n{cells['locator']}")
            line.cell(source, link=cells["source_url"])


def render_pdf(sections: list[Section], sources: list[dict]):
    """The report as an fpdf2 document: a cover page, then each chart with its caption and figure table."""
    pdf = _new_pdf(sources)
    pdf.add_page()
    _paragraph(pdf, TITLE, 16, bold=True)
    _paragraph(pdf, INTRO, 9.5)
    for source in sources:
        _paragraph(
            pdf,
            f"Dataset: {source['citation_full']} Licence: {source['license']}. Raw file {source['raw_path']}, "
            f"sha256 {source['sha256']}, obtained {source['date_accessed']}.",
            8,
            colour=(80, 80, 80),
        )
    _paragraph(pdf, "Charts", 12, bold=True)
    for number, section in enumerate(sections, 1):
        _paragraph(pdf, f"{number}. {section.manifest['title']}", 8)
    for number, section in enumerate(sections, 1):
        manifest = section.manifest
        pdf.add_page()
        _paragraph(pdf, f"Chart {number}", 8, colour=(89, 89, 89))
        height = pdf.epw * _aspect(section.png)
        if height > pdf.eph * 0.8:  # a tall chart: fit it on the page
            pdf.image(str(section.png), h=pdf.eph * 0.8, x=pdf.l_margin)
        else:
            pdf.image(str(section.png), w=pdf.epw)
        pdf.ln(2)
        notes = " ".join(manifest["notes"])
        _paragraph(pdf, f"Figure {number}. {manifest['title']}. {manifest['subtitle']}", 8)
        if notes:
            _paragraph(pdf, f"Note: {notes}", 8)
        _paragraph(pdf, manifest["source_line"], 7, colour=(89, 89, 89))
        files = ", ".join(f"assets/charts/{name}" for name in manifest["files"].values())
        _paragraph(pdf, f"Files: {files}", 7, colour=(89, 89, 89))
        _figures(pdf, section)
    return pdf


def _aspect(png: Path) -> float:
    from PIL import Image

    with Image.open(png) as image:
        return image.height / image.width


def write_pdf(target: Path, sections: list[Section], sources: list[dict]) -> tuple[Path, int]:
    """Write the PDF, replacing the last one only when complete; return its path and page count."""
    pdf = render_pdf(sections, sources)
    with replaced_on_success(target) as temporary:
        pdf.output(str(temporary))
    return target, pdf.pages_count
