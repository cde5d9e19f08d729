"""The report as one self-contained HTML page: charts inline as data URIs, no scripts, no web fonts, no CDN."""

import base64
from html import escape
from pathlib import Path

from pipelines.files import replaced_on_success
from pipelines.report.content import INTRO, TITLE, Section, describe

STYLE = """
body { font-family: 'DejaVu Sans', Verdana, sans-serif; color: #222; max-width: 62rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 3rem; border-top: 1px solid #ccc; padding-top: 1rem; }
figure { margin: 1rem 0; } figure img { width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9rem; color: #444; } .downloads { font-size: 0.85rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.8rem; margin-top: 0.8rem; }
th, td { border: 1px solid #ddd; padding: 0.3rem 0.4rem; vertical-align: top; text-align: left; }
th { background: #f2f2f2; } td.value { white-space: nowrap; text-align: right; }
blockquote { margin: 0; } .gloss { color: #555; margin-top: 0.3rem; } .small { color: #666; font-size: 0.75rem; }
"""


def _figure_table(section: Section) -> str:
    if not section.figures:
        return ""
    head = "".join(
        f"<th>{name}</th>" for name in ("Figure", "Place, period", "Measure", "Value", "Qualifier", "Quote", "Source")
    )
    rows = []
    for row in section.figures:
        cells = describe(row)
        language = escape(cells["language"] or "und")
        rows.append(
            "<tr>"
            f"<td>{escape(cells['figure_id'])}</td><td>{escape(cells['where_when'])}</td>"
            f'<td>{escape(cells["measure"])}</td><td class="value">{escape(cells["value"])}</td>'
            f"<td>{escape(cells['qualifier'])}</td>"
            f'<td><blockquote lang="{language}" dir="auto">{escape(cells["quote"])}</blockquote>'
            f'<div class="gloss">{escape(cells["notes"])}</div></td>'
            f'<td><a href="{escape(cells["source_url"])}">{escape(cells["publisher"] or cells["source_url"])}</a>'
            f'<div dir="auto">{escape(cells["source_title"])}</div>'
            f'<div class="small">{escape(cells["locator"])}; {escape(cells["provenance"])}</div></td>'
            "</tr>"
        )
    return f'<table class="figures"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _sources_table(sources: list[dict]) -> str:
    rows = "".join(
        f"<tr><td>{escape(s['title'] or '')}</td><td>{escape(s['citation_full'] or '')}</td>"
        f'<td>{escape(s["license"] or "")}</td><td>{escape(s["raw_path"] or "")}<div class="small">sha256 '
        f"{escape(s['sha256'] or '')}, obtained {escape(s['date_accessed'] or '')}</div></td></tr>"
        for s in sources
    )
    return (
        '<table class="sources"><thead><tr><th>Dataset</th><th>Citation</th><th>Licence</th><th>Raw file</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _section(section: Section) -> str:
    manifest = section.manifest
    image = base64.b64encode(section.svg).decode("ascii")
    downloads = " · ".join(
        f'<a href="../charts/{escape(name)}">{kind.upper()}</a>' for kind, name in manifest["files"].items()
    )
    notes = " ".join(manifest["notes"])
    return (
        f'<section id="{escape(manifest["stem"])}"><h2>{escape(manifest["title"])}</h2>'
        f'<figure><img src="data:image/svg+xml;base64,{image}" alt="{escape(manifest["title"])}">'
        f"<figcaption><p>{escape(manifest['subtitle'])}</p>"
        + (f"<p>Note: {escape(notes)}</p>" if notes else "")
        + f"<p>{escape(manifest['source_line'])}</p>"
        f'<p class="downloads">Chart files: {downloads}</p></figcaption></figure>'
        f"{_figure_table(section)}</section>"
    )


def render_html(sections: list[Section], sources: list[dict]) -> str:
    """The whole page as text."""
    contents = "".join(
        f'<li><a href="#{escape(s.manifest["stem"])}">{escape(s.manifest["title"])}</a></li>' for s in sections
    )
    body = "".join(_section(section) for section in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(TITLE)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{escape(TITLE)}</h1><p>{escape(INTRO)}</p>"
        '<p>Data: <a href="datapackage.json">datapackage.json</a> (comparisons.csv, figures.csv, sources.csv) · '
        '<a href="report.pdf">report.pdf</a></p>'
        f"<h2>Datasets</h2>{_sources_table(sources)}<h2>Charts</h2><ol>{contents}</ol></header>"
        f"<main>{body}</main></body></html>\n"
    )


def write_html(target: Path, sections: list[Section], sources: list[dict]) -> Path:
    """Write the page, replacing the last one only when complete."""
    with replaced_on_success(target) as temporary:
        temporary.write_text(render_html(sections, sources), encoding="utf-8")
    return target
