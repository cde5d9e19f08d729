"""The report as one HTML page: summary first, a section per jurisdiction, methods, citations. Charts are SVG
files in `charts/` beside the page (inlined they made it megabytes); no scripts, web fonts or CDN."""

import re
from html import escape
from pathlib import Path

from pipelines.files import replaced_on_success
from pipelines.report.build import (
    ALTERNATIVE_HEADINGS,
    CHARTS_DIR,
    CONFLICT_HEADINGS,
    CONFLICTS_INTRO,
    NO_CONFLICTS,
    QUESTION,
    SUMMARY_HEADINGS,
    TITLE,
    ChartEntry,
    Content,
    Reference,
    SummaryRow,
    describe,
)

STYLE = """
body { font-family: 'DejaVu Sans', Verdana, sans-serif; color: #222; max-width: 62rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 3rem; border-top: 1px solid #ccc; padding-top: 1rem; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
figure { margin: 1.5rem 0; } figure img { width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9rem; color: #444; } figcaption p { margin: 0.3rem 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.8rem; margin-top: 0.8rem; }
th, td { border: 1px solid #ddd; padding: 0.3rem 0.4rem; vertical-align: top; text-align: left; }
th { background: #f2f2f2; } td.value { white-space: nowrap; text-align: right; }
blockquote { margin: 0; } .gloss { color: #555; margin-top: 0.3rem; } .small { color: #666; font-size: 0.75rem; }
.hash { word-break: break-all; } ol.citations li { margin-bottom: 0.4rem; word-break: break-word; }
p.finding { font-weight: bold; }
@media print { figure.own-page { break-before: page; } tr, figure { break-inside: avoid; }
               thead { display: table-header-group; } }
"""


def _cites(cited: list[Reference]) -> str:
    return "; ".join(f'<a href="#{escape(r.key)}">{escape(r.label)}</a>' for r in cited)


def _sources(chart: ChartEntry) -> str:
    """Each publisher once, with links to the numbered citations of its documents."""
    if not chart.cited:
        return escape(chart.citation)
    listed = "; ".join(
        f"{escape(name)} {_cites(cited).replace('; ', ', ')}" for name, cited in chart.by_publisher().items()
    )
    return f"{'Source' if len(chart.cited) == 1 else 'Sources'}: {listed}."


def _figure(number: int, chart: ChartEntry, own_page: bool = False) -> str:
    manifest = chart.manifest
    notes = " ".join(manifest["notes"])
    page = ' class="own-page"' if own_page else ""
    return (
        f'<figure id="{escape(manifest["stem"])}"{page}>'
        f'<img src="{CHARTS_DIR}/{escape(chart.svg.name)}" alt="{escape(manifest["title"])}" loading="lazy">'
        f"<figcaption><p><b>Figure {number}.</b> {escape(manifest['title'])}.</p>"
        + (f"<p>Note: {escape(notes)}</p>" if notes else "")
        + f"<p>{_sources(chart)}</p></figcaption></figure>"
    )


def _summary_table(rows: list[SummaryRow]) -> str:
    head = "".join(f"<th>{name}</th>" for name in SUMMARY_HEADINGS)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row.cells()[:-1]) + f"<td>{_cites(row.cited)}</td></tr>"
        for row in rows
    )
    return f'<table class="summary"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _linked(text: str) -> str:
    """Escaped text with each citation label ('[3] fidh-nd-5c1e') linked to its entry in the citations."""
    return re.sub(r"\[(\d+)\] ([\w-]+)", r'<a href="#\2">[\1] \2</a>', escape(text))


def _cells_table(css_class: str, headings: tuple[str, ...], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(name)}</th>" for name in headings)
    body = "".join("<tr>" + "".join(f"<td>{_linked(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _figure_table(figures: list[dict], reference_of: dict[str, Reference]) -> str:
    head = "".join(f"<th>{name}</th>" for name in ("Figure", "Measure", "Value", "Qualifier", "Quote", "Source"))
    rows = []
    for row in figures:
        cells = describe(row)
        reference = reference_of[row["source_url"]]
        rows.append(
            "<tr>"
            f'<td>{escape(cells["figure_id"])}<div class="small">{escape(cells["where_when"])}</div></td>'
            f'<td>{escape(cells["measure"])}</td><td class="value">{escape(cells["value"])}</td>'
            f"<td>{escape(cells['qualifier'])}</td>"
            f'<td><blockquote lang="{escape(cells["language"] or "und")}" dir="auto">{escape(cells["quote"])}'
            f'</blockquote><div class="gloss">{escape(cells["notes"])}</div></td>'
            f'<td><a href="{escape(cells["source_url"])}">{escape(cells["publisher"] or cells["source_url"])}</a>'
            f'<div class="small">{escape(cells["locator"])}</div>{_cites([reference])}</td>'
            "</tr>"
        )
    return f'<table class="figures"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _datasets_table(datasets: list[dict]) -> str:
    rows = "".join(
        f"<tr><td>{escape(s['title'] or '')}</td><td>{escape(s['license'] or '')}</td>"
        f'<td>{escape(s["raw_path"] or "")}<div class="small hash">sha256 {escape(s["sha256"] or "")}</div>'
        f"</td><td>{escape(str(s['date_accessed'] or ''))}</td></tr>"
        for s in datasets
    )
    return (
        '<table class="datasets"><thead><tr><th>Dataset</th><th>Licence</th><th>Raw file</th><th>Obtained</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def render_html(content: Content) -> str:
    """The whole page as text."""
    numbers = {id(chart): number for number, chart in enumerate(content.charts, 1)}
    parts = [
        f"<header><h1>{escape(TITLE)}</h1>",
        "" if content.selection.everything else f"<p>This pack covers {escape(content.selection.describe())}.</p>",
        '<p class="small">Also as <a href="report.pdf">report.pdf</a> and <a href="report.docx">report.docx</a>; '
        'citations for reference managers: <a href="citations.bib">citations.bib</a> (BibTeX), '
        '<a href="citations.json">citations.json</a> (CSL-JSON); data: <a href="datapackage.json">'
        "datapackage.json</a> (comparisons.csv, figures.csv, sources.csv).</p></header><main>",
        f'<section id="summary"><h2>Summary</h2><p>{escape(QUESTION)}</p>',
        f'<p class="finding">{escape(content.finding)}</p>',
        _summary_table(content.summary),
    ]
    if content.summary_chart:
        parts.append(_figure(numbers[id(content.summary_chart)], content.summary_chart, own_page=True))
    parts.append("</section>")
    for section in content.jurisdictions:
        parts.append(f'<section id="{escape(section.code.lower())}"><h2>{escape(section.name)}</h2>')
        parts.extend(_figure(numbers[id(chart)], chart) for chart in section.charts)
        if section.figures or section.series:
            parts.append(f"<h3>Figures for {escape(section.name)}</h3>")
        parts.extend(f"<p>{escape(sentence)}</p>" for sentence in section.series)
        if section.figures:
            parts.append(_figure_table(section.figures, content.reference_of))
        if section.alternatives:
            parts.append(f"<h3>Other figures for the same facts ({escape(section.name)})</h3>")
            parts.append(_cells_table("alternatives", ALTERNATIVE_HEADINGS, section.alternatives))
        parts.append("</section>")
    parts.append('<section id="methods"><h2>Methods and caveats</h2>')
    for heading, paragraphs in content.methods:
        parts.append(f"<h3>{escape(heading)}</h3>" + "".join(f"<p>{escape(text)}</p>" for text in paragraphs))
    parts.append(f"<h3>Conflicting figures</h3><p>{escape(CONFLICTS_INTRO)}</p>")
    conflicts = _cells_table("conflicts", CONFLICT_HEADINGS, content.conflicts) if content.conflicts else ""
    parts.append(conflicts or f"<p>{escape(NO_CONFLICTS)}</p>")
    parts.extend(_figure(numbers[id(chart)], chart) for chart in content.methods_charts)
    parts.append(f"<h3>Datasets</h3>{_datasets_table(content.datasets)}</section>")
    citations = "".join(
        f'<li id="{escape(r.key)}" value="{r.number}"><b>{escape(r.key)}</b>. {escape(r.publisher)}. '
        f'{escape(r.title)}. <a href="{escape(r.url)}">{escape(r.url)}</a>. '
        + (f"Published {r.published_words}. " if r.published else "")
        + f"Accessed {escape(r.accessed)}.</li>"
        for r in content.references
    )
    parts.append(f'<section id="citations"><h2>Citations</h2><ol class="citations">{citations}</ol></section>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(TITLE)}</title><style>{STYLE}</style></head><body>"
        + "".join(parts)
        + "</main></body></html>\n"
    )


def write_html(target: Path, content: Content) -> Path:
    """Write the page, replacing the last one only when complete."""
    with replaced_on_success(target) as temporary:
        temporary.write_text(render_html(content), encoding="utf-8")
    return target
