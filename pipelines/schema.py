"""The common observation schema every source is turned into (DESIGN §3)."""

ROW_FILE, ROW_NUMBER = "_file", "_row"  # the columns every validated frame or table carries to name its rows
ISO_DATE_FORMAT = "%Y-%m-%d"

OBSERVATION_COLUMNS: dict[str, str] = {
    "figure_id": "VARCHAR NOT NULL",
    "source_id": "VARCHAR NOT NULL",
    "jurisdiction": "VARCHAR NOT NULL",
    "subdivision": "VARCHAR",
    "period_start": "DATE",
    "period_end": "DATE NOT NULL",
    "target_group": "VARCHAR NOT NULL",
    "measure": "VARCHAR NOT NULL",
    "value": "DOUBLE NOT NULL",
    "unit": "VARCHAR NOT NULL",
    "breakdown": "VARCHAR",
    "qualifier": "VARCHAR NOT NULL",
    "publisher": "VARCHAR",
    "source_type": "VARCHAR NOT NULL",
    "source_title": "VARCHAR",
    "source_url": "VARCHAR NOT NULL",
    "published_date": "VARCHAR",  # ISO 8601 at the precision the source gives: YYYY-MM-DD, YYYY-MM or YYYY
    "quote": "VARCHAR NOT NULL",
    "language": "VARCHAR",
    "notes": "VARCHAR",
    "locator": "VARCHAR NOT NULL",
    "flags": "VARCHAR",
}

SOURCE_COLUMNS = (
    "source_id", "kind", "raw_path", "sha256", "size_bytes", "row_count", "retrieved_at",
    "producer", "title", "citation_full", "url_main", "url_download", "date_published", "date_accessed",
    "license", "attribution_short", "description",
)  # fmt: skip
