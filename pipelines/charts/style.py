"""The house style: one font, one colour per target group, a wrapped header and cited footer, deterministic files.

Every chart is laid out in inches from the top down (title, subtitle, lines in words, legend, plot, axis
labels, footer), with each text block wrapped to the measured width of its words in the house font, so the
figure grows to fit its text instead of letting it overlap or run off the page.
"""

import base64
import io
import re
import struct
import unicodedata
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pipelines.files import replaced_on_success

if TYPE_CHECKING:
    import numpy as np

# Okabe-Ito colour-blind-safe palette: migrants in blue, employers in vermilion, everywhere.
GROUP_COLOURS = {"migrants": "#0072B2", "employers": "#D55E00"}
BOTH_COLOUR = "#CC79A7"
# Further Okabe-Ito colours for series that are neither side (ratios, Eurostat measures); never vermilion.
SERIES_COLOURS = ("#000000", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#0072B2")
SERIES_MARKERS = ("o", "s", "D", "^", "v", "P")
INK = "#222222"
MUTED = "#595959"
GRID = "#DDDDDD"
FONT = "DejaVu Sans"
FORMATS = ("svg", "png", "pdf")
PNG_DPI = 220
PNG_COMPRESSION = 3  # zlib level, rows unfiltered: files 12% larger than at level 6 in half the time (157 charts)
THUMBNAIL_DPI = 40
THUMBNAIL_MAX_PIXELS = 480
THUMBNAIL_MAX_BYTES = 90_000
LAYOUT_DPI = 100  # text is measured as Agg draws it at the figure's own dpi (wider than at 220 dpi or in SVG)

WIDTH = 8.0  # inches: a full text width in a report, legible at half a page
MARGIN = 0.15
TITLE_SIZE = 13.0
SUBTITLE_SIZE = 9.0
WORDS_SIZE = 10.0
LABEL_SIZE = 9.5
FOOTER_SIZE = 7.0
LINE_SPACING = 1.3
USABLE_WIDTH = WIDTH - 2 * MARGIN - 0.05  # inches of text across the figure
URL_SHOWN = 70  # characters of a source address shown in a footer
MAX_SUBTITLE_LINES = 4  # what a reader reads before the chart; longer definitions belong in the report's methods
MORE_DEFINITIONS = "The report's methods section defines every measure."

RC_PARAMS = {
    "font.family": [FONT, "sans-serif"],
    "font.size": LABEL_SIZE,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.labelsize": LABEL_SIZE,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": INK,
    "ytick.color": INK,
    "xtick.labelsize": LABEL_SIZE,
    "ytick.labelsize": LABEL_SIZE,
    "legend.fontsize": LABEL_SIZE,
    "legend.frameon": False,
    "figure.dpi": 100,
    "svg.hashsalt": "enforcement-pipeline",
    "svg.fonttype": "none",
    # Type 3 keeps PDF text searchable (with a ToUnicode map) and writes 7x faster than Type 42, whose
    # font subsetting took ~1.3 s per chart; SVG is the format for editing text.
    "pdf.fonttype": 3,
}

QUALIFIER_NOTES = {
    "lower_bound": "is a lower bound (the source says 'more than')",
    "upper_bound": "is an upper bound",
    "approximate": "is approximate (the source says 'about' or rounds)",
}
QUALIFIER_MARKS = {"lower_bound": "+", "approximate": "~", "upper_bound": " max"}


def pyplot():
    """matplotlib's pyplot on the Agg backend, in the house style."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(RC_PARAMS)
    return plt


def thousands(value: float) -> str:
    """136000 → '136,000'; small fractions keep one decimal."""
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"


def ink_on(background: str) -> str:
    """White or the house ink, whichever has the higher WCAG contrast ratio on `background`."""
    from matplotlib.colors import to_rgb

    def luminance(colour: str) -> float:
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(first: str, second: str) -> float:
        light, dark = sorted((luminance(first), luminance(second)), reverse=True)
        return (light + 0.05) / (dark + 0.05)

    return max(("white", INK), key=lambda text: contrast(text, background))


def paler(colour: str, share: float) -> str:
    """`colour` mixed with white: `share` of the colour (1 = unchanged, 0 = white), as #rrggbb."""
    from matplotlib.colors import to_hex, to_rgb

    return to_hex(tuple(share * channel + (1 - share) for channel in to_rgb(colour)))


def capitalised(text: str) -> str:
    """First letter upper case, the rest untouched ('foreigners arrested' → 'Foreigners arrested')."""
    return text[:1].upper() + text[1:]


@cache
def _charmap() -> frozenset[int]:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(font_manager.findfont(_font(LABEL_SIZE, "normal"))).get_charmap())


def font_path(weight: str = "normal") -> str:
    """The house font's file (shipped with matplotlib, so present on every machine)."""
    from matplotlib import font_manager

    return font_manager.findfont(_font(LABEL_SIZE, weight), fallback_to_default=False)


def renderable(text: str) -> bool:
    """True when the house font draws every character of `text`, left to right: no boxes, no reversed script.

    matplotlib neither reorders right-to-left scripts nor shapes Arabic, so Hebrew and Arabic count as not
    renderable even where the font has the letters.
    """
    charmap = _charmap()
    return all(
        ord(char) in charmap and unicodedata.bidirectional(char) not in ("R", "AL")
        for char in text
        if not char.isspace()
    )


def drawable(text: str, placeholder: str = "[…]") -> str:
    """`text` with each word the house font cannot draw replaced by `placeholder` (empty brackets dropped)."""
    lines = []
    for line in text.split("\n"):
        words = [word if renderable(word) else placeholder for word in line.split()]
        joined = " ".join(word for word in words if word)
        lines.append(re.sub(r"\(\s*\)|“\s*”|\s+(?=[),.;:])", "", joined).strip(" ,;:"))
    return "\n".join(lines)


def cite_parts(row: Mapping[str, object]) -> tuple[str, str, str]:
    """A document's publisher, its quoted title and its host and path. Words of the publisher the house font
    cannot draw are left out; a title it cannot draw in full is left out ('')."""
    url = str(row.get("source_url") or "")
    parts = urlsplit(url)
    where = (parts.netloc.removeprefix("www.") + parts.path) if parts.netloc else url
    if len(where) > URL_SHOWN:  # the full address is in the chart's CSV and the report
        where = where[: URL_SHOWN - 1].rsplit("/", 1)[0] + "/…"
    title = str(row.get("source_title") or "").strip()
    title = title if renderable(title) else ""  # a part-drawn title misleads: the report has it in full
    publisher = drawable(str(row.get("publisher") or ""), "")
    if publisher.startswith("(") and publisher.endswith(")"):  # '松村法律事務所 (Matsumura Law Office)'
        publisher = publisher[1:-1]
    return publisher, f"“{title}”" if title else "", where


# How a figure that is not official reached us, for the footer (source types: pipelines/vocabulary/).
NOT_OFFICIAL = {
    "intergovernmental": "published by an intergovernmental body",
    "ngo_or_research": "published by an NGO or researchers",
    "news": "reported by the press",
    "secondary": "copied by a secondary site (repost, law firm, vendor or aggregator)",
    "unknown": "of unrecorded origin",
}


def strength_note(rows: Iterable[Mapping[str, object]]) -> str:
    """'Figures reported by the press, not published by the authority.' when any plotted figure is not
    official (its source type is not official statistics or an official publication); '' otherwise."""
    kinds = [NOT_OFFICIAL[kind] for kind in NOT_OFFICIAL if kind in {row.get("source_type") for row in rows}]
    if not kinds:
        return ""
    said = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]
    some = "Figures" if all(row.get("source_type") in NOT_OFFICIAL for row in rows) else "Some figures"
    return f"{some} {said}, not published by the authority."


def source_line(rows: Iterable[Mapping[str, object]]) -> str:
    """`Source:` line built from the plotted rows' own citations, in plotting order, each publisher named once
    and each title once, with every address it was read from:
    'Sources: Eurostat (“A”, host/a and host/a2; “B”, host/b); FIDH, “C”, host/c.', then the source strength
    when any figure is not official."""
    rows = list(rows)
    by_publisher: dict[str, dict[tuple[str, str], list[str]]] = {}
    for row in rows:
        publisher, title, where = cite_parts(row)
        document = (title, "") if title else ("", where)  # documents without a drawable title stay apart
        addresses = by_publisher.setdefault(publisher, {}).setdefault(document, [])
        if where not in addresses:
            addresses.append(where)
    entries = []
    for publisher, titles in by_publisher.items():
        documents = [
            ", ".join(filter(None, [title, " and ".join(filter(None, addresses))]))
            for (title, _), addresses in titles.items()
        ]
        entries.append(
            f"{publisher} ({'; '.join(documents)})"
            if len(documents) > 1
            else ", ".join(filter(None, [publisher, *documents]))
        )
    label = "Source: " if sum(len(titles) for titles in by_publisher.values()) == 1 else "Sources: "
    strength = strength_note(rows)
    return label + "; ".join(entries) + "." + (f" {strength}" if strength else "")


WRAP_MARGIN = 0.005  # share of a line's width within which wrap() measures a line whole (on the shipped
# charts the sum of word widths matched the whole line to 5e-6 in all 820 lines measured at 0.03)


def fitted_subtitle(sentences: list[str]) -> str:
    """The sentences, or as many as fit in MAX_SUBTITLE_LINES lines followed by a pointer to the report's methods
    section (which defines every measure in full)."""

    def fits(parts: list[str]) -> bool:
        return len(wrap(" ".join(parts), SUBTITLE_SIZE, USABLE_WIDTH)) <= MAX_SUBTITLE_LINES

    if fits(sentences):
        return " ".join(sentences)
    kept: list[str] = []
    for sentence in sentences:
        if not fits([*kept, sentence, MORE_DEFINITIONS]):
            break
        kept.append(sentence)
    return " ".join([*kept, MORE_DEFINITIONS])


def note_line(notes: Iterable[str]) -> str:
    """'Note: …' from the qualifier notes, each once, or '' when there is nothing to qualify."""
    notes = list(dict.fromkeys(note for note in notes if note))
    return "Note: " + " ".join(notes) if notes else ""


@cache
def _font(size: float, weight: str):
    from matplotlib.font_manager import FontProperties

    return FontProperties(family=FONT, size=size, weight=weight)


@cache
def text_width(text: str, size: float, weight: str = "normal") -> float:
    """Width in inches of one line of `text` in the house font (remembered: charts repeat their words)."""
    width, _, _ = _renderer().get_text_width_height_descent(text, _font(size, weight), ismath=False)
    return width / LAYOUT_DPI


@cache
def _renderer():
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, LAYOUT_DPI)


def wrap(text: str, size: float, width: float, weight: str = "normal") -> list[str]:
    """Greedy word wrap of `text` to `width` inches, measured in the house font; keeps explicit line breaks."""
    return list(_wrapped(text, size, width, weight))


@cache
def _wrapped(text: str, size: float, width: float, weight: str) -> tuple[str, ...]:
    lines: list[str] = []
    space = text_width("a b", size, weight) - text_width("ab", size, weight)
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0
        for word in _split_long_words(paragraph.split(" "), size, width, weight):
            candidate = f"{line} {word}" if line else word
            estimate = line_width + space + text_width(word, size, weight) if line else text_width(word, size, weight)
            if line and _wider(candidate, estimate, size, width, weight):
                lines.append(line)
                line, line_width = word, text_width(word, size, weight)
            else:
                line, line_width = candidate, estimate
        lines.append(line)
    return tuple(lines)


def _wider(text: str, estimate: float, size: float, width: float, weight: str) -> bool:
    """Whether `text` is wider than `width`: the sum of its words' widths decides unless it is within
    WRAP_MARGIN of the edge, where the text is measured whole (kerning across words)."""
    if abs(estimate - width) > width * WRAP_MARGIN:
        return estimate > width
    return text_width(text, size, weight) > width


def _split_long_words(words: list[str], size: float, width: float, weight: str) -> list[str]:
    """Words wider than a line cut into pieces that fit (long addresses have no spaces to break at)."""
    pieces = []
    for word in words:
        while text_width(word, size, weight) > width:
            cut = max(1, int(len(word) * width / text_width(word, size, weight)) - 1)
            pieces.append(word[:cut])
            word = word[cut:]
        pieces.append(word)
    return pieces


def line_height(size: float) -> float:
    """Height in inches of one text line at `size` points."""
    return size * LINE_SPACING / 72


@dataclass(frozen=True)
class Key:
    """One legend entry: a bar swatch, a line with its marker, or a marker alone."""

    label: str
    colour: str
    kind: str = "bar"  # "bar" | "line" | "marker"
    marker: str = "o"
    hatch: str | None = None  # a bar swatch hatched in `colour`...
    pale: float = 1.0  # ...and filled with this share of it (1 = the full colour)


@dataclass(frozen=True)
class Header:
    """The words above a plot: the finding, what the measures mean, the ratios in words, the legend."""

    title: str
    subtitle: str = ""
    words: tuple[str, ...] = ()
    legend: tuple[Key, ...] = ()


@dataclass(frozen=True)
class Margins:
    """Space in inches around the plot for tick labels and axis labels."""

    left: float = 0.8
    right: float = 0.3
    below: float = 0.65
    above: float = 0.1


def label_width(labels: Iterable[str], size: float = LABEL_SIZE) -> float:
    """Widest line among tick labels, in inches."""
    return max((text_width(line, size) for label in labels for line in str(label).split("\n")), default=0.0)


def frame(header: Header, footer_lines: list[str], plot_height: float, margins: Margins = Margins()):
    """A figure laid out from the top down; returns (figure, axes). The figure is as tall as its text needs."""
    plt = pyplot()
    usable = USABLE_WIDTH
    blocks = [
        (wrap(header.title, TITLE_SIZE, usable, "bold"), TITLE_SIZE, "bold", INK, "title"),
        (wrap(header.subtitle, SUBTITLE_SIZE, usable) if header.subtitle else [], SUBTITLE_SIZE, "normal", MUTED,
         "subtitle"),
        ([line for words in header.words for line in wrap(words, WORDS_SIZE, usable)], WORDS_SIZE, "normal", INK,
         "words"),
    ]  # fmt: skip
    footer = [line for text in footer_lines if text for line in wrap(text, FOOTER_SIZE, usable)]
    legend_rows = _legend_rows(header.legend, usable)
    header_height = MARGIN + sum(len(lines) * line_height(size) + 0.08 for lines, size, *_ in blocks if lines)
    header_height += len(legend_rows) * line_height(LABEL_SIZE) + (0.05 if legend_rows else 0)
    footer_height = len(footer) * line_height(FOOTER_SIZE) + MARGIN
    height = header_height + margins.above + plot_height + margins.below + footer_height
    fig = plt.figure(figsize=(WIDTH, height))
    top = height - MARGIN
    for lines, size, weight, colour, role in blocks:
        if lines:
            fig.text(
                MARGIN / WIDTH, top / height, "\n".join(lines), ha="left", va="top", fontsize=size,
                fontweight=weight, color=colour, linespacing=LINE_SPACING, gid=role,
            )  # fmt: skip
            top -= len(lines) * line_height(size) + 0.08
    for row in legend_rows:
        _draw_legend_row(fig, row, top, height)
        top -= line_height(LABEL_SIZE)
    if footer:
        fig.text(
            MARGIN / WIDTH, MARGIN / 2 / height, "\n".join(footer), ha="left", va="bottom", fontsize=FOOTER_SIZE,
            color=MUTED, linespacing=LINE_SPACING, gid="footer",
        )  # fmt: skip
    bottom = footer_height + margins.below
    ax = fig.add_axes(
        (margins.left / WIDTH, bottom / height, (WIDTH - margins.left - margins.right) / WIDTH, plot_height / height)
    )
    return fig, ax


LEGEND_KEY = 0.28  # inches for the swatch and its gap


def _legend_rows(keys: Iterable[Key], usable: float) -> list[list[tuple[Key, float]]]:
    """Legend entries placed left to right, wrapped into rows that fit the width; each with its x in inches."""
    rows: list[list[tuple[Key, float]]] = []
    x = usable
    for key in keys:
        width = LEGEND_KEY + text_width(key.label, LABEL_SIZE) + 0.25
        if x + width > usable:
            rows.append([])
            x = 0.0
        rows[-1].append((key, MARGIN + x))
        x += width
    return rows


def _draw_legend_row(fig, row: list[tuple[Key, float]], top: float, height: float) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    middle = (top - line_height(LABEL_SIZE) / 2) / height
    for key, x in row:
        label, colour, kind = key.label, key.colour, key.kind
        if kind == "bar":
            fig.add_artist(
                Rectangle(
                    (x / WIDTH, middle - 0.06 / height),
                    0.2 / WIDTH,
                    0.12 / height,
                    facecolor=paler(colour, key.pale),
                    edgecolor=colour,
                    hatch=key.hatch,
                    linewidth=0 if key.hatch else None,
                    transform=fig.transFigure,
                )
            )
        elif kind == "line":
            fig.add_artist(
                Line2D(
                    [x / WIDTH, (x + 0.1) / WIDTH, (x + 0.2) / WIDTH],
                    [middle] * 3,
                    color=colour,
                    marker=key.marker,
                    markevery=[1],
                    markersize=5,
                    transform=fig.transFigure,
                )
            )
        else:
            fig.add_artist(
                Line2D([(x + 0.1) / WIDTH], [middle], color=colour, marker="o", markersize=7, transform=fig.transFigure)
            )
        fig.text((x + LEGEND_KEY) / WIDTH, middle, label, ha="left", va="center", fontsize=LABEL_SIZE, color=INK)


def thousands_axis(axis) -> None:
    """Tick labels with thousands separators on a linear or log axis."""
    axis.set_major_formatter(lambda value, _: thousands(value))


def log_axis(ax, which: str, low: float, high: float) -> None:
    """A logarithmic x or y axis from `low` to `high`, labelled at powers of ten (and at 2 and 5 times them
    when the range is short enough for the labels to fit), with thousands separators."""
    import math

    from matplotlib.ticker import LogLocator, NullFormatter

    getattr(ax, f"set_{which}scale")("log")
    getattr(ax, f"set_{which}lim")(low, high)
    axis = getattr(ax, f"{which}axis")
    subs = (1.0, 2.0, 5.0) if math.log10(high / low) <= 2.5 else (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_minor_formatter(NullFormatter())
    thousands_axis(axis)


def layout_problems(fig) -> list[str]:
    """Texts that overlap, leave the figure or hold characters the font cannot draw (boxes to a reader); a
    subtitle over MAX_SUBTITLE_LINES lines; a source line naming a publisher or document twice."""
    fig.draw_without_rendering()  # places every text (ticks too) without drawing a pixel
    renderer = fig.canvas.get_renderer()
    texts = [*fig.texts]
    for ax in fig.axes:
        texts += [*ax.texts, ax.xaxis.label, ax.yaxis.label, ax.title]
        legend = ax.get_legend()
        texts += legend.get_texts() if legend else []
        for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            low, high = min(low, high), max(low, high)
            texts += [
                label
                for location, label in zip(axis.get_majorticklocs(), axis.get_majorticklabels(), strict=False)
                if low <= location <= high
            ]
    texts = [text for text in texts if text.get_visible() and text.get_text().strip()]
    boxes = [(text.get_text(), text.get_window_extent(renderer)) for text in texts]
    figure_box = fig.bbox
    problems = [f"cannot draw: {label!r}" for label, _ in boxes if not renderable(label)]
    problems += [f"cut off: {label!r}" for label, box in boxes if _off(box, figure_box)]
    problems += [
        f"overlap: {boxes[first][0]!r} and {boxes[second][0]!r}"
        for first, second in _overlapping_pairs([box for _, box in boxes])
    ]
    return problems + wording_problems(fig)


def _off(box, figure_box) -> bool:
    """Whether `box` leaves the figure (by more than a pixel)."""
    return (
        box.x0 < figure_box.x0 - 1 or box.y0 < figure_box.y0 - 1 or box.x1 > figure_box.x1 + 1
        or box.y1 > figure_box.y1 + 1
    )  # fmt: skip


def _overlapping_pairs(boxes: list) -> list[tuple[int, int]]:
    """Each pair of positions (first < second, in order) of text boxes that share more than 4 square pixels:
    measured for all pairs at once, as a chart may hold a hundred texts."""
    import numpy as np

    if len(boxes) < 2:
        return []
    x0, y0, x1, y1 = np.array([box.extents for box in boxes], dtype=float).T
    width = np.minimum.outer(x1, x1) - np.maximum.outer(x0, x0)
    height = np.minimum.outer(y1, y1) - np.maximum.outer(y0, y0)
    shared = np.triu(np.maximum(width, 0) * np.maximum(height, 0) > 4, k=1)
    return [(int(first), int(second)) for first, second in np.argwhere(shared)]


def wording_problems(fig) -> list[str]:
    """A subtitle longer than MAX_SUBTITLE_LINES lines, and a source line that names a source twice."""
    problems = []
    for text in fig.texts:
        lines = text.get_text().split("\n")
        if text.get_gid() == "subtitle" and len(lines) > MAX_SUBTITLE_LINES:
            problems.append(f"subtitle of {len(lines)} lines (at most {MAX_SUBTITLE_LINES}): {lines[0]!r}…")
        if text.get_gid() == "footer":
            cited = re.match(r"Sources?: (.*?)\.(?: Note: |$)", " ".join(lines))
            entries = _top_level_entries(cited.group(1)) if cited else []
            names = [re.split(r",? \(?“", entry)[0] for entry in entries]  # the publisher, before its first title
            problems += [f"source named twice: {name!r}" for name in dict.fromkeys(names) if names.count(name) > 1]
    return problems


def _top_level_entries(text: str) -> list[str]:
    """'A (x; y); B, z' → ['A (x; y)', 'B, z']: split at semicolons outside brackets."""
    entries, depth, start = [], 0, 0
    for index, character in enumerate(text):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == ";" and depth == 0:
            entries.append(text[start:index].strip())
            start = index + 1
    return [*entries, text[start:].strip()]


def drop_if_crowded(fig, labels: list) -> None:
    """Remove optional point labels when any of them would overlap another text or leave the figure (axis
    values remain). Only the texts are measured, without laying out the whole figure: tick labels sit outside
    the plot area, below and left of it, where labels placed up and right of their points do not reach (and
    layout_problems checks every chart whole in the tests)."""
    renderer = fig.canvas.get_renderer()
    others = [*fig.texts, *(text for ax in fig.axes for text in ax.texts if text not in labels)]
    others = [text for text in others if text.get_visible() and text.get_text().strip()]
    boxes = [text.get_window_extent(renderer) for text in [*labels, *others]]
    crowded = any(_off(box, fig.bbox) for box in boxes[: len(labels)]) or any(
        first < len(labels) for first, _ in _overlapping_pairs(boxes)
    )
    if crowded:
        for text in labels:
            text.remove()


def save(fig, stem: Path) -> dict[str, Path]:
    """Save SVG, PNG and PDF (deterministic metadata) beside each other; each replaces the old file on success."""
    written = {}
    for extension in FORMATS:
        target = stem.with_name(f"{stem.name}.{extension}")
        with replaced_on_success(target) as temporary:
            save_format(fig, temporary, extension)
        written[extension] = target
    return written


def save_format(fig, target: Path, extension: str) -> None:
    """Write `fig` to `target` in one of FORMATS, without dates in its metadata (same figure, same bytes)."""
    if extension == "png":
        _save_png(fig, target)
        return
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}[extension]
    fig.savefig(target, format=extension, dpi=PNG_DPI, metadata=metadata)


def _save_png(fig, target: Path) -> None:
    """PNG at PNG_DPI without an alpha channel: the charts are opaque, so their pixels are stored as RGB."""
    import numpy as np

    width, height = (int(inches * PNG_DPI) for inches in fig.get_size_inches())  # as Agg sizes its canvas
    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=PNG_DPI)
    if raw.tell() != width * height * 4:
        raise ValueError(f"{target}: Agg drew {raw.tell()} bytes, not {width}x{height} RGBA pixels")
    rgba = np.frombuffer(raw.getbuffer(), dtype=np.uint8).reshape(height, width, 4)
    target.write_bytes(png_bytes(rgba[:, :, :3], PNG_DPI))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(rgb: "np.ndarray", dpi: int) -> bytes:
    """An 8-bit RGB PNG of `rgb` (height x width x 3 bytes) marked `dpi`, each row unfiltered.

    Flat-coloured charts compress as well without PNG's row filters (3% smaller at level 1, 157 charts), and
    Pillow's encoder tries every filter on every row with no way to choose: 15 ms of the 24 a chart took."""
    import numpy as np

    height, width, _ = rgb.shape
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # each row: filter type 0 ("none"), its pixels
    rows[:, 1:] = rgb.reshape(height, 3 * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits a channel, RGB, not interlaced
    per_metre = round(dpi / 0.0254)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            _png_chunk(b"IDAT", zlib.compress(rows, PNG_COMPRESSION)),
            _png_chunk(b"IEND", b""),
        ]
    )


def thumbnail_png(png: Path) -> bytes:
    """A small copy of a chart's PNG for the Dagster UI (at most THUMBNAIL_MAX_BYTES once base64-encoded)."""
    from PIL import Image

    with Image.open(png) as opened:
        image = opened.convert("RGB")  # opaque charts: no premultiplied-alpha round trip
        scale = min(THUMBNAIL_DPI / PNG_DPI, THUMBNAIL_MAX_PIXELS / max(image.size))
        while True:
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            buffer = io.BytesIO()
            # A box reduction to about twice the size first, then Lanczos: 8x faster than Lanczos all the way.
            image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0).save(buffer, format="PNG", optimize=True)
            if len(base64.b64encode(buffer.getvalue())) <= THUMBNAIL_MAX_BYTES or max(size) < 50:
                return buffer.getvalue()
            scale *= 0.75


def png_markdown(png: bytes, alt: str) -> str:
    """PNG bytes as inline markdown, `alt` as its text."""
    encoded = base64.b64encode(png).decode("ascii")
    return f"![{alt.replace(']', ')').replace('[', '(')}](data:image/png;base64,{encoded})"
