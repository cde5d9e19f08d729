"""What the report says about each chart: its section, the page's title and introduction, and a cited figure
in words (shared by the HTML page and the PDF)."""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Section:
    """One chart in the report: its manifest (title, caption, files), its SVG and PNG, the figures it uses."""

    asset: str
    manifest: dict
    svg: bytes
    png: Path
    figures: list[dict]


TITLE = "Who does the state punish? Immigration enforcement against migrants and against employers"
INTRO = (
    "Every chart below is drawn from the project's warehouse of published figures. Each figure a chart uses is "
    "listed under it with its value, its qualifier, the exact words it was read from and a link to the source "
    "document; the raw file's sha256 and the date it was obtained tie it to the snapshot the pipeline read. "
    "Lower bounds, approximations, regional figures and one-off operations are marked on the charts and in the "
    "tables: read them before quoting a ratio."
)


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
        "provenance": f"{row.get('raw_path') or ''}, sha256 {str(row.get('raw_sha256') or '')[:12]}…, "
        f"obtained {row.get('date_accessed') or ''}",
    }
