"""One reference per source document a report cites, with a key that stays the same from run to run, written
as BibTeX (citations.bib) and CSL-JSON (citations.json) for reference managers (Zotero, EndNote, Mendeley)."""

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipelines.files import replaced_on_success

BIBTEX_SPECIAL = str.maketrans({"&": r"\&", "%": r"\%", "#": r"\#", "$": r"\$", "_": r"\_"})


@dataclass(frozen=True)
class Reference:
    """A source document: who published it, its title and address, when it was published and accessed."""

    key: str
    number: int
    publisher: str
    title: str
    url: str
    published: str | None  # ISO text as precise as the source gives it: 2025-07-15, 2025-07 or 2025
    accessed: str

    @property
    def label(self) -> str:
        """How captions and table rows cite it: '[3] fidh-nd-5c1e'."""
        return f"[{self.number}] {self.key}"

    @property
    def published_words(self) -> str:
        """'15 July 2025', 'July 2025' or '2025': the publication date as precise as it is known; '' if not."""
        if not self.published:
            return ""
        parts = [int(part) for part in self.published.split("-")]
        shown = {1: "%Y", 2: "%B %Y", 3: "%-d %B %Y"}[len(parts)]
        return date(*parts, *[1] * (3 - len(parts))).strftime(shown)

    def text(self) -> str:
        """The entry in the report's list of citations."""
        published = f"Published {self.published_words}. " if self.published else ""
        return f"{self.publisher}. {self.title}. {self.url}. {published}Accessed {self.accessed}."


def citation_key(publisher: str, published: str | None, url: str) -> str:
    """'fidh-nd-5c1e': the publisher's first words in ASCII, the year published and 4 hex digits of the URL's hash.

    Built only from the document itself, so the key never changes when other documents come or go.
    """
    ascii_text = unicodedata.normalize("NFKD", publisher).encode("ascii", "ignore").decode("ascii")
    words = "".join(c if c.isalnum() else " " for c in ascii_text.lower()).split()
    stem = "".join(words[:3])[:16] or "source"
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:4]
    return f"{stem}-{published[:4] if published else 'nd'}-{digest}"


def references(rows: list[dict]) -> dict[str, Reference]:
    """The references of the cited figures `rows`, one per source URL, numbered in key order; keyed by URL."""
    documents = {}
    for row in rows:
        url = row["source_url"]
        if url not in documents:
            published = str(row["published_date"]) if row.get("published_date") else None
            documents[url] = (
                citation_key(row["publisher"] or row["source_id"], published, url),
                row["publisher"] or row["source_id"],
                row["source_title"] or url,
                published,
                str(row.get("date_accessed") or "")[:10],
            )
    ordered = sorted(documents.items(), key=lambda item: item[1][0])
    return {
        url: Reference(key, number, publisher, title, url, published, accessed)
        for number, (url, (key, publisher, title, published, accessed)) in enumerate(ordered, 1)
    }


def _bibtex_entry(reference: Reference) -> dict[str, str]:
    entry = {
        "ENTRYTYPE": "misc",
        "ID": reference.key,
        "author": "{" + reference.publisher.translate(BIBTEX_SPECIAL) + "}",  # a body, not a person's name
        "title": "{" + reference.title.translate(BIBTEX_SPECIAL) + "}",
        "howpublished": reference.publisher.translate(BIBTEX_SPECIAL),
        "url": reference.url,
        "urldate": reference.accessed,
        "note": f"Accessed {reference.accessed}",
    }
    if reference.published:
        entry |= {"year": reference.published[:4], "date": reference.published}
    return entry


def write_bibtex(target: Path, cited: list[Reference]) -> Path:
    """Write citations.bib, one @misc entry per reference, replacing the last file only when complete."""
    from bibtexparser.bibdatabase import BibDatabase
    from bibtexparser.bwriter import BibTexWriter

    database = BibDatabase()
    database.entries = [_bibtex_entry(reference) for reference in cited]
    writer = BibTexWriter()
    writer.order_entries_by = None
    with replaced_on_success(target) as temporary:
        temporary.write_text(writer.write(database), encoding="utf-8")
    return target


def _date_parts(value: str) -> dict:
    """CSL date parts of ISO text at day, month or year precision."""
    return {"date-parts": [[int(part) for part in str(value)[:10].split("-")]]}


def csl_item(reference: Reference) -> dict:
    """The reference as a CSL-JSON item (type 'webpage', the publisher as a literal author)."""
    item = {
        "id": reference.key,
        "type": "webpage",
        "title": reference.title,
        "author": [{"literal": reference.publisher}],
        "publisher": reference.publisher,
        "URL": reference.url,
        "citation-number": reference.number,
    }
    if reference.accessed:
        item["accessed"] = _date_parts(reference.accessed)
    if reference.published:
        item["issued"] = _date_parts(reference.published)
    return item


def write_csl_json(target: Path, cited: list[Reference]) -> Path:
    """Write citations.json, a CSL-JSON array, replacing the last file only when complete."""
    with replaced_on_success(target) as temporary:
        text = json.dumps([csl_item(reference) for reference in cited], indent=1, ensure_ascii=False)
        temporary.write_text(text + "\n", encoding="utf-8")
    return target
