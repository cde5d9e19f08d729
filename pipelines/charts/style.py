"""The house style: one font, one colour per target group, a cited footer, deterministic files."""

import base64
import io
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pipelines.files import replaced_on_success

# Okabe-Ito colour-blind-safe palette: migrants in blue, employers in vermilion, everywhere.
GROUP_COLOURS = {"migrants": "#0072B2", "employers": "#D55E00"}
INK = "#222222"
MUTED = "#666666"
FIGURE_SIZE = (8.0, 5.2)
FORMATS = ("svg", "png", "pdf")
PNG_DPI = 220
THUMBNAIL_DPI = 40
FOOTER_WIDTH = 150

RC_PARAMS = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": INK,
    "ytick.color": INK,
    "svg.hashsalt": "enforcement-pipeline",
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}


def pyplot():
    """matplotlib's pyplot on the Agg backend, in the house style."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(RC_PARAMS)
    return plt


def thousands(value: float) -> str:
    """136000 → '136,000'."""
    return f"{value:,.0f}"


def cite(row: Mapping[str, object]) -> str:
    """One document as a source line entry: publisher, title, host and path."""
    url = str(row.get("source_url") or "")
    parts = urlsplit(url)
    where = (parts.netloc.removeprefix("www.") + parts.path) if parts.netloc else url
    title = str(row.get("source_title") or "").strip()
    publisher = str(row.get("publisher") or "").strip()
    return ", ".join(part for part in (publisher, f"“{title}”" if title else "", where) if part)


def source_line(rows: Iterable[Mapping[str, object]]) -> str:
    """`Source:` line built from the plotted rows' own citations, each document once, in plotting order."""
    documents = list(dict.fromkeys(cite(row) for row in rows))
    label = "Source: " if len(documents) == 1 else "Sources: "
    return label + "; ".join(documents) + "."


def footer(fig, lines: list[str]) -> float:
    """Write wrapped footer lines at the bottom of the figure; return the height they take (figure fraction)."""
    wrapped = [textwrap.fill(line, FOOTER_WIDTH) for line in lines if line]
    text = "\n".join(wrapped)
    count = text.count("\n") + 1 if text else 0
    fig.text(0.01, 0.012, text, ha="left", va="bottom", fontsize=7, color=MUTED, linespacing=1.35)
    return 0.03 + count * 0.026


def save(fig, stem: Path) -> dict[str, Path]:
    """Save SVG, PNG and PDF (deterministic metadata) beside each other; each replaces the old file on success."""
    written = {}
    for extension in FORMATS:
        target = stem.with_name(f"{stem.name}.{extension}")
        metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}, "png": {}}[extension]
        with replaced_on_success(target) as temporary:
            fig.savefig(temporary, format=extension, dpi=PNG_DPI, metadata=metadata)
        written[extension] = target
    return written


def thumbnail_markdown(fig, alt: str) -> str:
    """A small PNG of the figure as inline markdown for the Dagster UI (kept well under 100 KB)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=THUMBNAIL_DPI)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"![{alt}](data:image/png;base64,{encoded})"
