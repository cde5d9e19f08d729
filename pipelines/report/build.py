"""Gather what the report says — findings first, one section per jurisdiction, methods and caveats, citations —
and write the pack (HTML, PDF, DOCX, BibTeX, CSL-JSON, data package) for a selection of the data."""

import hashlib
import json
import math
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.charts.chart import INDEX_SUFFIX, cited_rows, fetch, read_index, write_chart
from pipelines.charts.parallel import workers
from pipelines.charts.suite import CHART_ASSETS
from pipelines.files import replaced_on_success
from pipelines.layout import Layout
from pipelines.processes import forking, pool
from pipelines.report.citations import Reference, references
from pipelines.report.selection import Selection

SUMMARY_STEM = "cross_jurisdiction_latest"
# Charts about several jurisdictions at once that the methods section shows (where the evidence is thin).
METHODS_STEMS = ("coverage_matrix",)
PNG_WIDTH = 1200  # pixels of the PNG placed in the PDF and DOCX: ~165 dpi across an A4 text width
CHARTS_DIR = "charts"  # beside the pages: the chart files they show
# Beside CHARTS_DIR (not in it, where an older pack would take it for a chart file): what the last pack made of
# each chart file, kept while the file is the same.
CACHE_DIR = ".cache"
STATISTICAL_KIND = "eurostat"  # sources whose figures are dataset cells, summarised rather than quoted one by one
# A chart more than SPLIT_ASPECT times as tall as wide would be narrow on one page: the PDF and DOCX show it cut
# across blank rows into parts about PART_ASPECT times as tall as wide, a page each, at the full text width; the
# last part is LAST_PART_SHARE as tall as the others, leaving room for the caption.
SPLIT_ASPECT = 1.5
PART_ASPECT = 1.2
LAST_PART_SHARE = 0.8


@dataclass(frozen=True)
class ChartEntry:
    """One chart in the report: its manifest (title, subtitle, notes, source line), files and cited figures."""

    manifest: dict
    svg: Path
    png: Path
    figures: list[dict]
    cited: list[Reference]
    parts: list[Path]  # the PNG as the PDF and DOCX place it: itself, or page-sized parts of a tall chart

    def by_publisher(self) -> dict[str, list[Reference]]:
        """The cited documents grouped by publisher (by its short name), in citing order."""
        grouped: dict[str, list[Reference]] = {}
        for reference in self.cited:
            grouped.setdefault(short_name(reference.publisher), []).append(reference)
        return grouped

    @property
    def citation(self) -> str:
        """The caption's source line: each publisher once, with the numbered citations of its documents
        ('Sources: Eurostat [17] eurostat-nd-1a2b, [18] eurostat-nd-3c4d; FIDH [3] fidh-nd-5c1e.'); the chart's
        own source line when it counts figures rather than plotting them (the coverage matrix)."""
        if not self.cited:
            return self.manifest["source_line"]
        listed = "; ".join(
            f"{name} {', '.join(reference.label for reference in cited)}" for name, cited in self.by_publisher().items()
        )
        return f"{'Source' if len(self.cited) == 1 else 'Sources'}: {listed}."


@dataclass(frozen=True)
class JurisdictionSection:
    """Everything the report shows about one jurisdiction."""

    code: str
    name: str
    charts: list[ChartEntry]
    figures: list[dict]
    series: list[str]
    alternatives: list[list[str]]  # other figures for the facts its charts show, as ALTERNATIVE_HEADINGS cells


@dataclass(frozen=True)
class SummaryRow:
    """The latest like-for-like comparison of one jurisdiction, in words."""

    place: str
    period: str
    migrants: str
    employers: str
    ratio: str
    qualifier: str
    source_kind: str
    cited: list[Reference]

    def cells(self) -> list[str]:
        """The row as the summary table's cells, in SUMMARY_HEADINGS order."""
        return [
            f"{self.place}, {self.period}", self.migrants, self.employers, f"{self.ratio} ({self.qualifier})",
            self.source_kind, "\n".join(reference.label for reference in self.cited),
        ]  # fmt: skip


@dataclass
class Content:
    """What every format of the report shows, in reading order."""

    selection: Selection
    finding: str
    summary: list[SummaryRow]
    summary_chart: ChartEntry | None  # after the table, on a page of its own
    jurisdictions: list[JurisdictionSection]
    methods: list[tuple[str, list[str]]]  # (heading, paragraphs)
    methods_charts: list[ChartEntry]
    conflicts: list[list[str]]  # every conflict in the selection, as CONFLICT_HEADINGS cells
    datasets: list[dict]
    references: list[Reference]
    reference_of: dict[str, Reference] = field(repr=False)

    @property
    def charts(self) -> list[ChartEntry]:
        """Every chart in reading order."""
        first = [self.summary_chart] if self.summary_chart else []
        return first + [chart for section in self.jurisdictions for chart in section.charts] + self.methods_charts


TITLE = "Who does the state punish? Immigration enforcement against migrants and against employers"
QUESTION = (
    "When a state enforces its immigration law at work, does it punish the migrants who work without papers or "
    "the employers who hire and exploit them? For every jurisdiction with published figures on both sides, the "
    "table sets the most recent migrants-side figure against an employers-side figure for exactly the same "
    "period. A ratio above 1 means the state acted against more migrants than employers."
)
SUMMARY_HEADINGS = ("Place, period", "Migrants side", "Employers side", "Ratio", "Source (kind)", "Cited")
ALTERNATIVE_HEADINGS = ("Fact", "Figure shown", "Other figure", "Agreement")
CONFLICT_HEADINGS = ("Fact", "Figure preferred", "Figure set aside", "How precedence resolved it")
OTHER_FIGURE_WIDTHS = (26, 27, 27, 20)  # relative column widths of both tables
CONFLICTS_INTRO = (
    "Where two sources give different figures for the same fact (same place, period, measure, unit and part "
    "counted) by more than rounding, the report shows one, chosen by precedence: official statistics before "
    "official sources, then intergovernmental, NGO or research, news and secondary sources; at equal kind a dataset "
    "read from its publisher before a sheet copying it, then the more recent publication. Nothing is averaged."
)
NO_CONFLICTS = "No two sources in this selection disagree by more than rounding."
AGREEMENT_WORDS = {"same": "same value", "rounded": "same after rounding", "conflict": "conflict"}
SOURCE_TYPE_WORDS = {"ngo_or_research": "NGO or research"}  # pipelines/vocabulary/source_types.csv in words
METHODS = [
    (
        "Why periods and measures differ between countries",
        "Each state publishes what its own agencies count: arrests in one, administrative fines or court decisions "
        "in another, deportations in a third. A comparison only pairs a migrants-side and an employers-side figure "
        "from the same place and exactly the same period, so the pairs of two countries often cover different "
        "years and different measures. Read each row's measures before setting one country beside another.",
    ),
    (
        "Lower bounds, approximations and operations",
        "A source that says 'more than 2,000' gives a lower bound, and 'about 2,000' an approximation; ratios built "
        "from them say 'at least', 'at most' or 'about'. Some figures cover one enforcement operation (a raid or a "
        "named campaign) rather than a year: their period is the operation's, and its start is not always stated. "
        "Regional figures count one region only. Such figures are marked on the charts and in the tables.",
    ),
    (
        "How every figure is traced",
        "Each figure carries its publisher, the document's title and address, the exact words it was read from and "
        "where in the document they are. The raw file the pipeline read is kept with its sha256 checksum and the "
        "date it was obtained (the datasets below), and the data package beside this report lists every figure "
        "with the same details.",
    ),
]


def _chart_entries(layout: Layout, con: duckdb.DuckDBPyConnection, assets: list[str]) -> list[tuple[dict, list]]:
    """Every chart listed in the chart assets' index files, in asset order, with its cited figures."""
    manifests = [manifest for asset in assets for manifest in read_index(layout.charts_dir / f"{asset}{INDEX_SUFFIX}")]
    wanted = list(dict.fromkeys(figure_id for manifest in manifests for figure_id in manifest["figure_ids"]))
    rows = {row["figure_id"]: row for row in cited_rows(con, wanted)}  # one query, not one per chart
    return [
        (manifest, [dict(rows[figure_id]) for figure_id in manifest["figure_ids"] if figure_id in rows])
        for manifest in manifests
    ]


def _covered(selection: Selection, rows: list[dict]) -> bool:
    return bool(rows) and all(
        selection.covers(row["jurisdiction"], row["period_start"], row["period_end"]) for row in rows
    )


def _summary_rows(pairs: list[dict], rows: dict[str, dict], reference_of: dict[str, Reference]) -> list[SummaryRow]:
    from pipelines import vocabulary, wording
    from pipelines.charts import style

    summary = []
    for pair in pairs:
        migrants, employers = (rows[figure_id] for figure_id in pair["figure_ids"])
        measures = vocabulary.measures()
        summary.append(
            SummaryRow(
                wording.place(pair["jurisdiction"], pair["subdivision"]),
                wording.period(pair["period_start"], pair["period_end"]),
                wording.counted(
                    style.thousands(pair["migrants_value"]), measures[(pair["migrants_measure"], "migrants")]
                ),
                wording.counted(
                    style.thousands(pair["employers_value"]), measures[(pair["employers_measure"], "employers")]
                ),
                style.capitalised(
                    wording.ratio_sentence(
                        pair["ratio"], pair["qualifier"], pair["migrants_measure"], pair["employers_measure"]
                    )
                ),
                pair["qualifier"].replace("_", " "),
                source_kind(migrants, employers),
                list(dict.fromkeys(reference_of[row["source_url"]] for row in (migrants, employers))),
            )
        )
    return summary


def finding(pairs: list[dict]) -> str:
    """The summary table in words: on which side the latest like-for-like figures count more, and the extremes."""
    from pipelines import wording

    if not pairs:
        return "No jurisdiction in this selection has a migrants-side and an employers-side figure for one period."

    def said(pair: dict) -> str:
        sentence = wording.ratio_sentence(
            pair["ratio"], pair["qualifier"], pair["migrants_measure"], pair["employers_measure"]
        )
        return f"{wording.place(pair['jurisdiction'], pair['subdivision'])}, {sentence}"

    if len(pairs) == 1:
        return f"In {said(pairs[0])}."
    more = sum(pair["ratio"] > 1 and pair["qualifier"] in ("exact", "approximate", "lower_bound") for pair in pairs)
    fewer = sum(pair["ratio"] < 1 and pair["qualifier"] in ("exact", "approximate", "upper_bound") for pair in pairs)
    text = f"In {more} of the {len(pairs)} jurisdictions, the latest like-for-like figures count more migrants"
    text += " than employers"
    if fewer:
        text += f"; in {fewer}, more employers than migrants"
    if len(pairs) - more - fewer:
        text += f"; in {len(pairs) - more - fewer}, the figures' bounds leave it open"
    high, low = max(pairs, key=lambda pair: pair["ratio"]), min(pairs, key=lambda pair: pair["ratio"])
    return f"{text}. Furthest apart: {said(high)}; at the other end: {said(low)}."


def source_kind(*rows: dict) -> str:
    """Who published a pair's figures and what kind of source it is, each once: 'Prosud.kz (news)'."""
    return "; ".join(
        dict.fromkeys(
            f"{short_name(str(row['publisher'] or row['source_id']))} "
            f"({SOURCE_TYPE_WORDS.get(row['source_type'], row['source_type'].replace('_', ' '))})"
            for row in rows
        )
    )


def short_name(publisher: str) -> str:
    """'TRAC, Syracuse University (report text …)' → 'TRAC, Syracuse University'; '松村法律事務所 (Matsumura Law
    Office)' → 'Matsumura Law Office': the name outside brackets when every font draws it, else the bracketed one."""
    from pipelines.charts import style

    outside = re.sub(r"\s*\([^()]*\)", "", publisher).strip()
    inside = re.findall(r"\(([^()]*)\)", publisher)
    if outside and style.renderable(outside):
        return outside
    return inside[0] if inside else publisher


def _kind(source_type: str) -> str:
    return SOURCE_TYPE_WORDS.get(source_type, source_type.replace("_", " "))


def _fact(row: dict) -> str:
    """'Hong Kong, 2025: foreigners arrested (found working illegally)'."""
    from pipelines import vocabulary, wording

    label = vocabulary.measures()[(row["measure"], row["target_group"])].label
    breakdown = f" ({row['breakdown']})" if row.get("breakdown") else ""
    where = wording.place(row["jurisdiction"], row["subdivision"])
    return f"{where}, {wording.period(row['period_start'], row['period_end'])}: {label}{breakdown}"


def _figure_words(row: dict, reference_of: dict[str, Reference]) -> str:
    """'HKG-2025-LWB-01: 1,264 persons, Yahoo News Hong Kong (news) [100] yahoonewshong-2026-941a'."""
    from pipelines.charts import style

    qualifier = "" if row["qualifier"] == "exact" else f" ({row['qualifier'].replace('_', ' ')})"
    return (
        f"{row['figure_id']}: {style.thousands(row['value'])} {row['unit'].replace('_', ' ')}{qualifier}, "
        f"{short_name(str(row['publisher'] or row['source_id']))} ({_kind(row['source_type'])}) "
        f"{reference_of[row['source_url']].label}"
    )


def _other_figures(con: duckdb.DuckDBPyConnection, selection: Selection, shown: set[str]) -> tuple[dict, list]:
    """The alternatives of the preferred figures in `shown` ({preferred id: [(other id, agreement)]}) and the
    selection's conflicts (preferred id, other id, resolved_by)."""
    where, parameters = selection.sql()
    alternatives: dict[str, list[tuple[str, str]]] = {}
    for figure_id, others in con.execute(
        f"SELECT figure_id, alternatives FROM preferred_observations WHERE len(alternatives) > 0 AND {where}",
        parameters,
    ).fetchall():
        if figure_id in shown:
            alternatives[figure_id] = [(other["figure_id"], other["agreement"]) for other in others]
    conflicts = con.execute(
        f"SELECT preferred_figure_id, other_figure_id, resolved_by FROM conflicts WHERE {where}", parameters
    ).fetchall()
    return alternatives, conflicts


def _resolution(preferred: dict, other: dict, resolved_by: str | None) -> str:
    """How precedence chose between two conflicting figures, in words."""
    if resolved_by == "source_type":
        return f"Kind of source: {_kind(preferred['source_type'])} before {_kind(other['source_type'])}."
    if resolved_by == "dataset_over_copy":
        return "The dataset read from its publisher before the sheet row copying it."
    how = (
        "the more recent publication is shown"
        if preferred["published_date"] != other["published_date"]
        else "the first figure id is shown"
    )
    return f"Not settled: both are {_kind(preferred['source_type'])} sources; {how}, and the warehouse check warns."


def _latest_pairs(con: duckdb.DuckDBPyConnection, selection: Selection) -> list[dict]:
    from pipelines.charts import compare

    where, parameters = selection.sql()
    return compare.latest_pairs(con, where, parameters)


def gather(
    layout: Layout,
    con: duckdb.DuckDBPyConnection,
    selection: Selection,
    out: Path,
    prepare: Callable[[Path], None] | None = None,
) -> Content:
    """Everything the report shows for `selection`, with the chart files it needs copied into `out/charts/`
    (`prepare` is run on each image a page places, beside the others, on every core)."""
    from pipelines import wording

    found = [
        (manifest, rows)
        for manifest, rows in _chart_entries(layout, con, list(CHART_ASSETS))
        if _covered(selection, rows) or (selection.everything and manifest["stem"] in METHODS_STEMS)
    ]
    pairs = _latest_pairs(con, selection)
    pair_rows = {row["figure_id"]: row for row in cited_rows(con, [f for p in pairs for f in p["figure_ids"]])}
    alternatives, conflicts = _other_figures(con, selection, {row["figure_id"] for _, rows in found for row in rows})
    other_ids = [i for preferred, others in alternatives.items() for i in [preferred, *(o for o, _ in others)]]
    other_rows = {row["figure_id"]: row for row in cited_rows(con, other_ids + [i for c in conflicts for i in c[:2]])}
    summary_manifest = next((m for m, _ in found if m["stem"] == SUMMARY_STEM), None) if selection.everything else None
    summary_folder = layout.charts_dir
    if pairs and summary_manifest is None:
        summary_folder = out / CHARTS_DIR
        summary_manifest = _draw_summary_chart(con, pairs, summary_folder)
    all_rows = [row for _, rows in found for row in rows] + list(pair_rows.values()) + list(other_rows.values())
    reference_of = references(all_rows)
    summary_rows = [pair_rows[figure_id] for pair in pairs for figure_id in pair["figure_ids"]]
    wanted = [(summary_manifest, summary_rows, summary_folder)] if pairs else []
    wanted += [(manifest, rows, layout.charts_dir) for manifest, rows in found if manifest["stem"] != SUMMARY_STEM]
    entries = _chart_entries_in(out / CHARTS_DIR, wanted, reference_of, prepare)
    summary_chart = entries.pop(0) if pairs else None
    by_place: dict[str, list[ChartEntry]] = {}
    methods_charts = []
    for chart in entries:
        places = {row["jurisdiction"] for row in chart.figures}
        if len(places) == 1:
            by_place.setdefault(places.pop(), []).append(chart)
        else:
            methods_charts.append(chart)
    kinds = dict(con.execute("SELECT source_id, kind FROM sources").fetchall())

    def alternative_cells(charts: list[ChartEntry]) -> list[list[str]]:
        shown = dict.fromkeys(figure["figure_id"] for chart in charts for figure in chart.figures)
        return [
            [_fact(other_rows[preferred]), _figure_words(other_rows[preferred], reference_of),
             _figure_words(other_rows[other], reference_of), AGREEMENT_WORDS[agreement]]
            for preferred in shown for other, agreement in alternatives.get(preferred, [])
        ]  # fmt: skip

    sections = [
        JurisdictionSection(
            code, wording.place(code, None), charts, *_figures(charts, kinds, reference_of), alternative_cells(charts)
        )
        for code, charts in sorted(by_place.items(), key=lambda item: wording.place(item[0], None))
    ]
    conflict_cells = [
        [_fact(other_rows[preferred]), _figure_words(other_rows[preferred], reference_of),
         _figure_words(other_rows[other], reference_of),
         _resolution(other_rows[preferred], other_rows[other], resolved_by)]
        for preferred, other, resolved_by in conflicts
    ]  # fmt: skip
    measures = {(row["measure"], row["target_group"]) for row in all_rows}
    # A selection's pack gives each definition's main clause: the full ones give examples from other countries.
    plain = not selection.everything
    definitions = ("What the measures mean", wording.measure_sentences(sorted(measures), short=plain))
    changes = ("Changes since the previous version", _changes(con, selection, {row["figure_id"] for row in all_rows}))
    return Content(
        selection,
        finding(pairs),
        _summary_rows(pairs, pair_rows, reference_of),
        summary_chart,
        sections,
        [definitions, *((heading, [text]) for heading, text in METHODS), changes],
        methods_charts,
        conflict_cells,
        _datasets(con, {row["source_id"] for row in all_rows}),
        sorted(reference_of.values(), key=lambda reference: reference.number),
        reference_of,
    )


def _figures(
    charts: list[ChartEntry], kinds: dict[str, str], reference_of: dict[str, Reference]
) -> tuple[list[dict], list[str]]:
    """A section's figures, each once: those quoted from documents (listed with their quotes), and a sentence per
    statistical dataset whose cells the charts draw (every cell is in the chart's CSV and in figures.csv)."""
    figures = {figure["figure_id"]: figure for chart in charts for figure in chart.figures}
    ordered = sorted(figures.values(), key=lambda row: (row["period_end"], row["target_group"], row["figure_id"]))
    quoted = [row for row in ordered if kinds.get(row["source_id"]) != STATISTICAL_KIND]
    counts: dict[Reference, list[int]] = {}
    for row in ordered:
        if kinds.get(row["source_id"]) == STATISTICAL_KIND:
            counts.setdefault(reference_of[row["source_url"]], []).append(row["period_end"].year)
    series = [
        f"{reference.publisher}, {reference.title} ({reference.label}): {len(years)} values, {min(years)}–{max(years)}."
        for reference, years in counts.items()
    ]
    if series:
        series.append(
            "Each value, with the dataset cell it was read from, is in the chart's CSV file and in figures.csv."
        )
    return quoted, series


def _changes(con: duckdb.DuckDBPyConnection, selection: Selection, figure_ids: set[str]) -> list[str]:
    """The change log's summary of the last run that changed anything (a selection: only its figures' changes)."""
    from pipelines.changes import run_changes, short_summary

    rows = run_changes(con)
    if not selection.everything:
        rows = [row for row in rows if row["figure_id"] in figure_ids]
    return short_summary(rows)


def _datasets(con: duckdb.DuckDBPyConnection, source_ids: set[str]) -> list[dict]:
    return [row for row in fetch(con, "SELECT * FROM sources ORDER BY source_id") if row["source_id"] in source_ids]


def _chart_entries_in(
    charts_out: Path,
    wanted: list[tuple[dict, list[dict], Path]],
    reference_of: dict[str, Reference],
    prepare: Callable[[Path], None] | None,
) -> list[ChartEntry]:
    """A ChartEntry for each (manifest, cited rows, folder of its files), with its SVG copied and its smaller PNG
    and page parts written into `charts_out`, each part then given to `prepare`: on every core, since decoding,
    scaling and compressing the images is most of a first pack."""
    charts_out.mkdir(parents=True, exist_ok=True)
    images = []
    for manifest, _, folder in wanted:
        svg, png = charts_out / manifest["files"]["svg"], charts_out / manifest["files"]["png"]
        if folder != charts_out and not _same_file(folder / svg.name, svg):
            shutil.copy2(folder / svg.name, svg)
        images.append((folder / png.name, png, prepare))
    count = min(workers(), len(images))
    with forking() as context:
        if context is not None and count > 1:
            with pool(context, count) as workers_pool:
                parts = list(workers_pool.map(_prepared_page_images, *zip(*images, strict=True)))
        else:
            parts = [_prepared_page_images(*image) for image in images]
    return [
        ChartEntry(manifest, charts_out / manifest["files"]["svg"], png, rows,
                   list(dict.fromkeys(reference_of[row["source_url"]] for row in rows)), chart_parts)
        for (manifest, rows, _), (_, png, _), chart_parts in zip(wanted, images, parts, strict=True)
    ]  # fmt: skip


def _prepared_page_images(source: Path, png: Path, prepare: Callable[[Path], None] | None) -> list[Path]:
    parts = _page_images(source, png)
    for part in parts if prepare else ():
        prepare(part)
    return parts


def _page_images(source: Path, png: Path) -> list[Path]:
    """Write the smaller PNG of the chart file `source` at `png`, and its page-sized parts if it is tall (see
    page_parts); return the parts. Kept from the last pack when `source` has the same sha256 as then."""
    if source == png:  # drawn into the pack's own folder for this pack: always new
        _small_png(source, png)
        return page_parts(png)
    record = kept_record(png, "parts")
    key = {"source_sha256": _sha256(source), "png_width": PNG_WIDTH, "split": [SPLIT_ASPECT, PART_ASPECT]}
    try:
        kept = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        kept = {}
    if kept.get("key") == key and isinstance(kept.get("parts"), list):
        parts = [png.with_name(name) for name in kept["parts"]]
        if all(path.exists() for path in (png, *parts)) and kept.get("png_sha256") == _sha256(png):
            return parts
    _small_png(source, png)
    parts = page_parts(png, rewrite=True)
    record.parent.mkdir(exist_ok=True)
    written = {"key": key, "png_sha256": _sha256(png), "parts": [part.name for part in parts]}
    with replaced_on_success(record) as temporary:
        temporary.write_text(json.dumps(written), encoding="utf-8")
    return parts


def kept_record(png: Path, kind: str) -> Path:
    """Where a pack keeps what it made of `png` (a chart image in its CHARTS_DIR) for the next pack."""
    return png.parent.parent / CACHE_DIR / f"{png.name}.{kind}.json"


def _same_file(source: Path, copy: Path) -> bool:
    """Whether `copy` is what shutil.copy2 made of `source` (same size and modification time)."""
    try:
        kept, now = copy.stat(), source.stat()
    except FileNotFoundError:
        return False
    return kept.st_size == now.st_size and kept.st_mtime_ns == now.st_mtime_ns


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _small_png(source: Path, target: Path) -> None:
    """A 16-colour PNG PNG_WIDTH wide: sharp on an A4 page at a sixth of the chart file's size."""
    from PIL import Image

    with Image.open(source) as image:
        height = round(image.height * PNG_WIDTH / image.width)
        # Opaque charts: scaled as RGB, without the premultiplied-alpha round trip an RGBA image needs.
        small = image.convert("RGB").resize((PNG_WIDTH, height), Image.Resampling.BILINEAR, reducing_gap=1.5)
        with replaced_on_success(target) as temporary:
            small.quantize(colors=16, method=Image.Quantize.FASTOCTREE).save(temporary, format="PNG")


def page_parts(png: Path, rewrite: bool = False) -> list[Path]:
    """`png` itself, or for a chart more than SPLIT_ASPECT times as tall as wide, page-sized parts of it cut across
    blank rows (beside `png`; written when missing, older than `png`, or with `rewrite`)."""
    from PIL import Image

    with Image.open(png) as image:
        aspect = image.height / image.width
        if aspect <= SPLIT_ASPECT:
            return [png]
        count = math.ceil(aspect / PART_ASPECT)
        parts = [png.with_name(f"{png.stem}.part{number}.png") for number in range(1, count + 1)]
        if not rewrite and all(part.exists() and part.stat().st_mtime >= png.stat().st_mtime for part in parts):
            return parts
        shares = [1.0] * (count - 1) + [LAST_PART_SHARE]
        targets = [round(image.height * sum(shares[:n]) / sum(shares)) for n in range(1, count)]
        cuts = [0, *(_blank_row_near(image, target) for target in targets), image.height]
        for part, top, bottom in zip(parts, cuts[:-1], cuts[1:], strict=True):
            with replaced_on_success(part) as temporary:
                image.crop((0, top, image.width, bottom)).save(temporary, format="PNG")
    return parts


def _blank_row_near(image, target: int) -> int:
    """The middle of the run of blank pixel rows (at most a vertical axis line or two crossing it) nearest to row
    `target`, within a tenth of the image's height; `target` when there is none."""
    import numpy as np

    blank = (np.asarray(image.convert("L")) < 160).sum(axis=1) <= image.width // 100
    reach = image.height // 10
    runs, start = [], None
    for row in range(max(target - reach, 0), min(target + reach, image.height)):
        if blank[row] and start is None:
            start = row
        if not blank[row] and start is not None:
            runs.append((start, row))
            start = None
    middles = [(top + bottom) // 2 for top, bottom in runs if bottom - top >= 4]
    return min(middles, key=lambda middle: abs(middle - target), default=target)


def _draw_summary_chart(con: duckdb.DuckDBPyConnection, pairs: list[dict], charts_out: Path) -> dict:
    """Draw the cross-jurisdiction chart for just the selected pairs into the pack's own chart folder."""
    from pipelines.charts import compare

    drawn = write_chart(compare.build_cross_jurisdiction(con, pairs), charts_out)
    drawn.files.pop("pdf").unlink(missing_ok=True)
    return drawn.manifest()


def describe(row: dict) -> dict[str, str]:
    """A cited figure as the words a report table shows."""
    from pipelines import vocabulary, wording
    from pipelines.charts import style

    measure = vocabulary.measures()[(row["measure"], row["target_group"])]
    return {
        "figure_id": row["figure_id"],
        "where_when": f"{wording.place(row['jurisdiction'], row['subdivision'])}, "
        f"{wording.period(row['period_start'], row['period_end'])}",
        "measure": style.capitalised(measure.label),
        "value": f"{style.thousands(row['value'])} {row['unit'].replace('_', ' ')}",
        "qualifier": row["qualifier"].replace("_", " ") + (f" (flags: {row['flags']})" if row.get("flags") else ""),
        "quote": row["quote"],
        "language": row.get("language") or "",
        "notes": row.get("notes") or "",
        "publisher": row.get("publisher") or "",
        "source_title": row.get("source_title") or "",
        "source_url": row["source_url"],
        "locator": row.get("locator") or "",
    }
