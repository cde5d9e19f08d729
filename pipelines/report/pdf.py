"""The report as one PDF, written with fpdf2 (pure Python: no system libraries, no browser).

The PDF uses the charts' own font, DejaVu Sans, which matplotlib ships, so `make run` needs no fonts from
the system. DejaVu Sans has no Thai, Japanese or Korean glyphs, and fpdf2 without a shaping engine would set
Hebrew and Arabic left to right and unjoined, so a quote the font cannot draw correctly is replaced by a
pointer to the original in the HTML report and the English gloss from the figure's notes (never boxes).
"""

import base64
import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from pipelines.charts import style
from pipelines.files import replaced_on_success
from pipelines.report.build import (
    ALTERNATIVE_HEADINGS,
    CONFLICT_HEADINGS,
    CONFLICTS_INTRO,
    NO_CONFLICTS,
    OTHER_FIGURE_WIDTHS,
    QUESTION,
    SUMMARY_HEADINGS,
    TITLE,
    ChartEntry,
    Content,
    Reference,
    describe,
    kept_record,
    short_name,
)

LANGUAGES = {
    "ar": "Arabic", "en": "English", "he": "Hebrew", "id": "Indonesian", "ja": "Japanese", "kk": "Kazakh",
    "ko": "Korean", "ms": "Malay", "ru": "Russian", "th": "Thai", "tr": "Turkish",
}  # fmt: skip
FONT = "DejaVu"
UNDRAWABLE_TITLE = "[title in its original script: see index.html or citations.bib]"
COLUMN_WIDTHS = (22, 14, 10, 54, 30)  # figure, value, qualifier, quote, source (relative)
SUMMARY_WIDTHS = (13, 12, 12, 21, 20, 22)  # a citation key fits its line
TABLE_FONT_SIZE, TABLE_LINE, TABLE_PADDING = 6.5, 3.0, 1.0  # pt, mm, mm


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


def _lines(pdf, text: str, room: float) -> list[str]:
    """`text` broken into lines at most `room` mm wide in the current font, where fpdf2 would break them: at
    spaces, inside a word longer than a line, and at every newline.

    fpdf2's own line breaking (multi_cell, tables) measures and copies text one character at a time, and was
    most of the PDF's time; here a word is measured once, by the same glyph widths fpdf2 uses."""
    glyphs, scale = pdf.current_font.cw, pdf.font_size_pt * 0.001 / pdf.k

    def width(word: str) -> float:
        return sum(glyphs[ord(character)] for character in word) * scale

    space, lines = glyphs[ord(" ")] * scale, []
    for paragraph in text.split("\n"):
        words, used = [], 0.0
        for word in paragraph.split(" "):
            wide = width(word)
            if words and used + space + wide <= room:
                words.append(word)
                used += space + wide
                continue
            if words:
                lines.append(" ".join(words))
            while wide > room and len(word) > 1:
                cut = _fitting(word, room, width)
                lines.append(word[:cut])
                word = word[cut:]
                wide = width(word)
            words, used = [word], wide
        lines.append(" ".join(words))
    return lines


def _fitting(word: str, room: float, width) -> int:
    """How many of `word`'s first characters fit in `room` (at least one)."""
    fits = 1
    while fits < len(word) and width(word[: fits + 1]) <= room:
        fits += 1
    return fits


def _write_line(pdf, x: float, top: float, height: float, text: str) -> None:
    """Write one line of text in a line box `height` mm high from `top`, on the baseline fpdf2's cells use."""
    pdf.text(x, top + 0.5 * height + 0.3 * pdf.font_size, text)


def _paragraph(
    pdf, text: str, size: float, bold: bool = False, colour: tuple = (34, 34, 34), measure: bool = False
) -> float:
    """Write a paragraph across the text width, starting a page where a line does not fit (or with `measure`,
    only measure it); return its height in mm."""
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.set_text_color(*colour)
    height = size * 0.5
    lines = _lines(pdf, style.drawable(text), pdf.epw - 2 * pdf.c_margin)
    if measure:
        return len(lines) * height + 1.5
    for line in lines:
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        _write_line(pdf, pdf.l_margin + pdf.c_margin, pdf.get_y(), height, line)
        pdf.set_y(pdf.get_y() + height)
    pdf.ln(1.5)
    return 0.0


def _table(pdf, widths: tuple, headings: list[str], rows: list[list[str]], links: list[str] | None = None) -> None:
    """A table across the text width, columns in proportion to `widths`, ruled, its headings repeated at the top
    of every page it runs onto; a row is never split, and the last cell of a row links to `links[row]`."""
    columns = [pdf.epw * width / sum(widths) for width in widths]
    pdf.set_text_color(34, 34, 34)
    pdf.set_font(FONT, "B", TABLE_FONT_SIZE)
    heading = [_lines(pdf, text, column - 2 * TABLE_PADDING) for text, column in zip(headings, columns, strict=True)]
    pdf.set_font(FONT, "", TABLE_FONT_SIZE)
    _table_row(pdf, columns, heading, bold=True)
    for number, cells in enumerate(rows):
        lines = [
            _lines(pdf, style.drawable(cell), column - 2 * TABLE_PADDING)
            for cell, column in zip(cells, columns, strict=True)
        ]
        if pdf.get_y() + _row_height(lines) > pdf.page_break_trigger:
            pdf.add_page()
            _table_row(pdf, columns, heading, bold=True)
        _table_row(pdf, columns, lines, link=links[number] if links else None)
    pdf.ln(3)


def _row_height(cells: list[list[str]]) -> float:
    return max(len(lines) for lines in cells) * TABLE_LINE + 2 * TABLE_PADDING


def _table_row(pdf, columns: list[float], cells: list[list[str]], bold: bool = False, link: str | None = None) -> None:
    """One table row at the current height: each cell ruled (a heading's shaded and bold), its lines centred
    vertically; then move below it."""
    top, height, x = pdf.get_y(), _row_height(cells), pdf.l_margin
    if bold:
        pdf.set_font(FONT, "B", TABLE_FONT_SIZE)
        pdf.set_fill_color(242, 242, 242)
    for column, lines in zip(columns, cells, strict=True):
        pdf.rect(x, top, column, height, style="DF" if bold else "D")
        first = top + (height - len(lines) * TABLE_LINE) / 2
        for index, line in enumerate(lines):
            _write_line(pdf, x + TABLE_PADDING, first + index * TABLE_LINE, TABLE_LINE, line)
        x += column
    if link:
        pdf.link(x - columns[-1], top, columns[-1], height, link)
    if bold:
        pdf.set_font(FONT, "", TABLE_FONT_SIZE)
    pdf.set_y(top + height)


def _figures(pdf, figures: list[dict], reference_of: dict[str, Reference]) -> None:
    rows, links = [], []
    for row in figures:
        cells = describe(row)
        rows.append(
            [
                f"{cells['figure_id']}\n{cells['where_when']}\n{cells['measure']}",
                cells["value"],
                cells["qualifier"],
                quote_text(row),
                f"{short_name(cells['publisher'])}\n{cells['locator']}\n{reference_of[row['source_url']].label}",
            ]
        )
        links.append(cells["source_url"])
    _table(pdf, COLUMN_WIDTHS, ["Figure", "Value", "Qualifier", "Quote (or English gloss)", "Source"], rows, links)


def _caption(pdf, number: int, chart: ChartEntry, measure: bool = False) -> float:
    """Write the chart's caption and numbered sources (or only measure them); return the height in mm."""
    notes = " ".join(chart.manifest["notes"])
    return (
        _paragraph(pdf, f"Figure {number}. {chart.manifest['title']}.", 8, measure=measure)
        + (_paragraph(pdf, f"Note: {notes}", 7.5, measure=measure) if notes else 0.0)
        + _paragraph(pdf, chart.citation, 7, colour=(89, 89, 89), measure=measure)
    )


def _chart(pdf, number: int, chart: ChartEntry, own_page: bool = False) -> None:
    """The chart as wide as the text (at most three quarters of the page high), then its caption; a chart on its
    own page, or cut into parts, starts a page and each part fills one, the last leaving room for the caption."""
    aspects = [_aspect(part) for part in chart.parts]
    paged = own_page or len(aspects) > 1
    rooms = [pdf.eph] * (len(aspects) - 1) + [pdf.eph - _caption(pdf, number, chart, measure=True) - 3]
    width = min(pdf.epw, *(room / aspect for room, aspect in zip(rooms, aspects, strict=True)))
    if not paged:
        width = min(width, pdf.eph * 0.75 / aspects[0])
    for part, aspect in zip(chart.parts, aspects, strict=True):
        if (paged and pdf.get_y() > pdf.t_margin) or pdf.get_y() + width * aspect + 20 > pdf.h - pdf.b_margin:
            pdf.add_page()
        with _kept_image(pdf, part):
            pdf.image(str(part), w=width, h=width * aspect, x=pdf.l_margin + (pdf.epw - width) / 2)
    pdf.ln(1)
    _caption(pdf, number, chart)
    pdf.ln(2)


def _heading(pdf, text: str, level: int = 0) -> None:
    """A section (level 0, on a new page) or a subsection heading, never alone at the foot of a page."""
    if level == 0 or pdf.get_y() > pdf.h - pdf.b_margin - 40:
        pdf.add_page()
    pdf.start_section(style.drawable(text), level=level)
    _paragraph(pdf, text, 14 if level == 0 else 10.5, bold=True)


def render_pdf(content: Content):
    """The report as an fpdf2 document: summary, a section per jurisdiction, methods and caveats, citations."""
    pdf = _new_pdf(content.datasets)
    numbers = {id(chart): number for number, chart in enumerate(content.charts, 1)}
    pdf.add_page()
    _paragraph(pdf, TITLE, 15, bold=True)
    if not content.selection.everything:
        _paragraph(pdf, f"This pack covers {content.selection.describe()}.", 9)
    pdf.start_section("Summary")
    _paragraph(pdf, "Summary", 12, bold=True)
    _paragraph(pdf, QUESTION, 9)
    _paragraph(pdf, content.finding, 9, bold=True)
    _table(pdf, SUMMARY_WIDTHS, list(SUMMARY_HEADINGS), [row.cells() for row in content.summary])
    if content.summary_chart:
        _chart(pdf, numbers[id(content.summary_chart)], content.summary_chart, own_page=True)
    for section in content.jurisdictions:
        _heading(pdf, section.name)
        for chart in section.charts:
            _chart(pdf, numbers[id(chart)], chart)
        if section.figures or section.series:
            _heading(pdf, f"Figures for {section.name}", 1)
        for sentence in section.series:
            _paragraph(pdf, sentence, 8)
        if section.figures:
            _figures(pdf, section.figures, content.reference_of)
        if section.alternatives:
            _heading(pdf, f"Other figures for the same facts ({section.name})", 1)
            _table(pdf, OTHER_FIGURE_WIDTHS, list(ALTERNATIVE_HEADINGS), section.alternatives)
    _heading(pdf, "Methods and caveats")
    for heading, paragraphs in content.methods:
        _heading(pdf, heading, 1)
        for text in paragraphs:
            _paragraph(pdf, text, 8.5)
    _heading(pdf, "Conflicting figures", 1)
    _paragraph(pdf, CONFLICTS_INTRO, 8.5)
    if content.conflicts:
        _table(pdf, OTHER_FIGURE_WIDTHS, list(CONFLICT_HEADINGS), content.conflicts)
    else:
        _paragraph(pdf, NO_CONFLICTS, 8.5)
    for chart in content.methods_charts:
        _chart(pdf, numbers[id(chart)], chart)
    _heading(pdf, "Datasets", 1)
    for dataset in content.datasets:
        _paragraph(
            pdf,
            f"{dataset['citation_full']} Licence: {dataset['license']}. Raw file {dataset['raw_path']}, "
            f"sha256 {dataset['sha256']}, obtained {dataset['date_accessed']}.",
            7.5,
            colour=(80, 80, 80),
        )
    _heading(pdf, "Citations")
    for reference in content.references:
        _paragraph(pdf, f"[{reference.number}] {reference.key}. {_drawable(reference).text()}", 7.5)
    return pdf


def _drawable(reference: Reference) -> Reference:
    """The reference with a publisher and title the PDF's font draws: the short publisher name, and a pointer to
    index.html for a title in a script it cannot draw."""
    title = reference.title if style.renderable(reference.title) else UNDRAWABLE_TITLE
    return replace(reference, publisher=short_name(reference.publisher), title=title)


def _aspect(png: Path) -> float:
    from PIL import Image

    with Image.open(png) as image:
        return image.height / image.width


def _pixels_key(png: Path) -> dict:
    import fpdf
    from fpdf.image_parsing import SETTINGS

    digest = hashlib.sha256(png.read_bytes()).hexdigest()
    return {"sha256": digest, "fpdf": fpdf.__version__, "compression_level": SETTINGS.compression_level}


def _kept_pixels(png: Path, key: dict):
    """What fpdf2 made of `png` in an earlier pack (its RasterImageInfo) if it was the same file, else None."""
    from fpdf.image_datastructures import RasterImageInfo

    try:
        record = json.loads(kept_record(png, "fpdf").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("key") != key:
        return None
    return RasterImageInfo(
        (field, base64.b64decode(value[1]) if isinstance(value, list) else value) for field, value in record["info"]
    )


def _keep_pixels(png: Path, key: dict, made) -> None:
    """Keep fpdf2's RasterImageInfo of `png` (its compressed pixels) for the next pack, when it is plain data."""
    from fpdf.image_datastructures import RasterImageInfo

    fields = [(field, value) for field, value in (made or {}).items() if field not in ("i", "usages", "iccp_i")]
    if not isinstance(made, RasterImageInfo) or made.get("iccp") is not None:
        return
    if not all(isinstance(value, str | int | float | bool | bytes | None) for _, value in fields):
        return
    record = {
        "key": key,
        "info": [
            (field, ["base64", base64.b64encode(value).decode("ascii")] if isinstance(value, bytes) else value)
            for field, value in fields
        ],
    }
    kept = kept_record(png, "fpdf")
    kept.parent.mkdir(exist_ok=True)
    with replaced_on_success(kept) as temporary:
        temporary.write_text(json.dumps(record), encoding="utf-8")


def prepare_pixels(png: Path) -> None:
    """Compress `png`'s pixels as fpdf2 places them and keep them for the PDF, unless they are kept already:
    run on every core while the report's chart images are made, it takes that work off the PDF's own process."""
    from fpdf.image_datastructures import ImageCache
    from fpdf.image_parsing import preload_image

    key = _pixels_key(png)
    if _kept_pixels(png, key) is None:
        _, _, made = preload_image(ImageCache(), str(png))
        _keep_pixels(png, key, made)


@contextlib.contextmanager
def _kept_image(pdf, png: Path) -> Iterator[None]:
    """Let fpdf2 place `png` from what it made of the same file (by sha256) in an earlier pack or in
    prepare_pixels: decoding the PNG and compressing its pixels again is most of the time images take. The same
    bytes end up in the PDF."""
    name = str(png)
    if name in pdf.image_cache.images or pdf.image_cache.image_filter != "AUTO":
        yield
        return
    key = _pixels_key(png)
    info = _kept_pixels(png, key)
    if info is not None:
        info |= {"i": len(pdf.image_cache.images) + 1, "usages": 0, "iccp_i": None}  # as fpdf2 adds a new image
        pdf.image_cache.images[name] = info
        yield
        return
    yield
    _keep_pixels(png, key, pdf.image_cache.images.get(name))


def write_pdf(target: Path, content: Content) -> tuple[Path, int, tuple[str, ...]]:
    """Write the PDF, replacing the last one only when complete; return its path, its page count and the
    characters it shows as boxes (`missing_glyphs`)."""
    pdf = render_pdf(content)
    with replaced_on_success(target) as temporary:
        pdf.output(str(temporary))
    return target, pdf.pages_count, missing_glyphs(pdf)


def missing_glyphs(pdf) -> tuple[str, ...]:
    """The characters written in a font that has no glyph for them: the PDF shows each as a box."""
    return tuple(sorted({chr(code) for font in pdf.fonts.values() for code in getattr(font, "missing_glyphs", ())}))
