"""The source registry: every source the pipeline reads, declared as data under `data/raw/`.

- Curated figure sheets declare themselves: any CSV in `data/raw/figures/`, with its origin sidecar
  `<name>.meta.yml` as its declaration (`pipelines/sheets.py` discovers them; no registry entry needed).
- Official datasets are declared one YAML file each in `data/raw/sources/` (`<source_id>.yml`). Adding a
  Eurostat dataset is adding such a file; see the README, "Sources".
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import yaml

from pipelines import vocabulary
from pipelines.files import read_yaml
from pipelines.layout import Layout, UnsafePathError
from pipelines.problems import BadInputError, Problem
from pipelines.provenance import OPTIONAL_ORIGIN_FIELDS

EUROSTAT_API = "https://ec.europa.eu/eurostat/api/dissemination"
FORMATS = ("jsonstat", "sdmx-csv")
REFRESH_CADENCES = ("monthly", "weekly", "daily", "on_change", "manual")
DATASET_CODE = re.compile(r"[a-z][a-z0-9_]{1,60}")
REQUIRED = ("id", "kind", "dataset", "producer", "title", "citation_full", "license", "refresh", "measure", "unit")
KNOWN = (*REQUIRED, "format", "query", "totals", "snapshots", *OPTIONAL_ORIGIN_FIELDS)


@dataclass(frozen=True)
class Dataset:
    """One official dataset: where it comes from, how to cite it, and which cells become observations.

    `query` holds the filters sent to the API; `totals` pins every non-geo, non-time dimension to the
    category whose cells become observations (dimensions absent from a snapshot are ignored).
    """

    source_id: str
    dataset: str
    producer: str
    title: str
    citation_full: str
    license: str
    refresh: str
    measure: str
    unit: str
    snapshot_dir: Path
    registry_file: Path
    format: str = "jsonstat"
    query: dict[str, list[str]] = field(default_factory=dict)
    totals: dict[str, str] = field(default_factory=dict)
    url_main: str = ""
    attribution_short: str = ""
    description: str = ""

    @property
    def path(self) -> Path:
        """The registry file that declares the dataset."""
        return self.registry_file

    @property
    def target_group(self) -> str:
        return next(group for measure, group in vocabulary.measures() if measure == self.measure)

    def request_url(self, api_base: str = EUROSTAT_API) -> str:
        """The dissemination-API address this dataset is downloaded from."""
        pairs = [(name, value) for name, values in self.query.items() for value in values]
        if self.format == "jsonstat":
            return f"{api_base}/statistics/1.0/data/{self.dataset}?" + urlencode(
                [("format", "JSON"), ("lang", "EN"), *pairs]
            )
        return f"{api_base}/sdmx/2.1/data/{self.dataset}?" + urlencode([*pairs, ("format", "SDMX-CSV")])

    def origin(self) -> dict[str, str]:
        """The OWID origin fields the registry declares (date and download URL come from the snapshot)."""
        return {
            "producer": self.producer,
            "title": self.title,
            "citation_full": self.citation_full,
            "license": self.license,
            "url_main": self.url_main,
            "attribution_short": self.attribution_short,
            "description": self.description,
        }


@dataclass(frozen=True)
class Registry:
    """Every declared official dataset of a checkout."""

    datasets: list[Dataset]


def _values(raw: object) -> list[str]:
    return [str(item) for item in raw] if isinstance(raw, list) else [str(raw)]


def read_dataset(layout: Layout, path: Path) -> Dataset:
    """Read and check one registry file; every problem is named with the file and field."""
    shown = layout.relative(path)
    try:
        entry = read_yaml(path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise BadInputError([Problem(shown, None, None, None, f"a readable YAML file ({error})")]) from error
    if not isinstance(entry, dict):
        raise BadInputError([Problem(shown, None, None, None, "a YAML mapping of registry fields")])
    problems = [Problem(shown, None, name, None, "a non-empty field") for name in REQUIRED if not entry.get(name)]
    problems += [
        Problem(shown, None, name, None, f"one of the fields {list(KNOWN)}") for name in entry if name not in KNOWN
    ]
    source_id, dataset = str(entry.get("id", "")), str(entry.get("dataset", ""))

    def check(ok: bool, name: str, expected: str) -> None:
        if not ok:
            problems.append(Problem(shown, None, name, str(entry.get(name)), expected))

    check(entry.get("kind") == "eurostat", "kind", "'eurostat' (figure sheets need no registry entry)")
    check(bool(DATASET_CODE.fullmatch(dataset)), "dataset", "a Eurostat dataset code in lower case, e.g. migr_eipre")
    check(source_id == f"eurostat_{dataset}", "id", f"'eurostat_{dataset}' (the source id is derived from the code)")
    check(path.stem == source_id, "id", f"the file name without .yml ({path.stem})")
    check(entry.get("format", "jsonstat") in FORMATS, "format", "one of " + ", ".join(FORMATS))
    check(entry.get("refresh") in REFRESH_CADENCES, "refresh", "one of " + ", ".join(REFRESH_CADENCES))
    measures = {measure for measure, _ in vocabulary.measures()}
    check(entry.get("measure") in measures, "measure", "a measure in pipelines/vocabulary/measures.csv")
    check(entry.get("unit") in vocabulary.count_units(), "unit", "a count unit in pipelines/vocabulary/units.csv")
    for name in ("query", "totals"):
        check(isinstance(entry.get(name, {}), dict), name, "a mapping of dimension code to category code(s)")
    snapshot_dir = None
    try:
        snapshot_dir = layout.inside_data(entry.get("snapshots") or f"data/raw/eurostat/{dataset}")
    except UnsafePathError as error:
        problems.append(
            Problem(shown, None, "snapshots", str(entry.get("snapshots")), f"a folder inside data/ ({error})")
        )
    if problems:
        raise BadInputError(problems)
    return Dataset(
        source_id=source_id,
        dataset=dataset,
        producer=str(entry["producer"]).strip(),
        title=str(entry["title"]).strip(),
        citation_full=str(entry["citation_full"]).strip(),
        license=str(entry["license"]).strip(),
        refresh=entry["refresh"],
        measure=entry["measure"],
        unit=entry["unit"],
        snapshot_dir=snapshot_dir,
        registry_file=path,
        format=entry.get("format", "jsonstat"),
        query={str(name): _values(values) for name, values in (entry.get("query") or {}).items()},
        totals={str(name): str(value) for name, value in (entry.get("totals") or {}).items()},
        url_main=str(entry.get("url_main") or "").strip(),
        attribution_short=str(entry.get("attribution_short") or "").strip(),
        description=str(entry.get("description") or "").strip(),
    )


def registry_dir(layout: Layout) -> Path:
    return layout.raw_dir / "sources"


def read_registry(layout: Layout) -> Registry:
    """Every official dataset declared in the checkout (figure sheets declare themselves: `pipelines.sheets`)."""
    return Registry(datasets=[read_dataset(layout, path) for path in sorted(registry_dir(layout).glob("*.yml"))])
