"""Source-level provenance (OWID's Origin fields) and checksums of raw files."""

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from pipelines.files import read_yaml
from pipelines.problems import BadInputError, Problem

REQUIRED_ORIGIN_FIELDS = ("producer", "title", "citation_full", "date_accessed", "license")
OPTIONAL_ORIGIN_FIELDS = ("url_main", "url_download", "date_published", "attribution_short", "description")


@dataclass(frozen=True)
class Origin:
    """Who produced a source, how to cite it, when it was obtained and under which licence."""

    producer: str
    title: str
    citation_full: str
    date_accessed: str
    license: str
    url_main: str = ""
    url_download: str = ""
    date_published: str = ""
    attribution_short: str = ""
    description: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sidecar_path(data_file: Path) -> Path:
    """`figures.csv` → `figures.meta.yml`."""
    return data_file.with_name(data_file.name.rsplit(".", 1)[0] + ".meta.yml")


def read_origin(meta_file: Path, shown_as: str) -> Origin:
    """Read and check an origin sidecar; every missing field is named."""
    try:
        loaded = read_yaml(meta_file)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise BadInputError([Problem(shown_as, None, None, None, f"a readable YAML file ({error})")]) from error
    fields = loaded.get("origin", loaded) if isinstance(loaded, dict) else None
    if not isinstance(fields, dict):
        raise BadInputError([Problem(shown_as, None, None, None, "a YAML mapping of origin fields")])
    problems = [
        Problem(shown_as, None, name, None, "a non-empty origin field")
        for name in REQUIRED_ORIGIN_FIELDS
        if not str(fields.get(name) or "").strip()
    ]
    known = set(REQUIRED_ORIGIN_FIELDS) | set(OPTIONAL_ORIGIN_FIELDS)
    problems += [
        Problem(shown_as, None, name, None, f"one of the origin fields {sorted(known)}")
        for name in fields
        if name not in known
    ]
    if problems:
        raise BadInputError(problems)
    return Origin(**{name: str(value or "").strip() for name, value in fields.items()})
