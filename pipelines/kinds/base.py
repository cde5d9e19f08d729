"""What a source kind supplies to the one builder of raw and staging assets (`pipelines.assets.sources`).

A kind finds its sources (`discover`), looks at a source's raw file (`read_raw`: metadata, checksum-based data
version, the raw checks' outcomes) and reads it into the common observation frame with a locator per row
(`stage`: the frame, checks run before the observation suite, the provenance record for the `sources` table).
The builder adds the rest, the same for every kind: the observation suite and its quarantine policy
(`pipelines.validation.checks.severity_for` by `name`), rejected rows, the validation report, the staged files.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import dagster as dg
import lazy_loader as lazy

from pipelines.layout import Layout
from pipelines.problems import Problem
from pipelines.validation.checks import CheckOutcome

pd = lazy.load("pandas", error_on_import=True)


class SourceUnavailable(Exception):
    """A source cannot be obtained or parsed as a whole; the message says which and what stays in use.
    `check` names the asset check that fails with it, if any."""

    def __init__(self, message: str, check: str | None = None):
        super().__init__(message)
        self.check = check


class Source(Protocol):
    """Whatever a kind's `discover` returns: at least the id its assets are named by and the file declaring it."""

    source_id: str
    path: Path


@dataclass
class RawReading:
    """What the raw step found: metadata for the UI, the data version, and the raw checks' outcomes."""

    metadata: dict[str, object]
    data_version: str
    outcomes: list[CheckOutcome] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class StagedReading:
    """A source read into the observation frame (common schema plus `_row`, each row's locator), before the
    observation suite; `outcomes` and `rejected` are the checks and refusals of reading it."""

    observations: "pd.DataFrame"
    file: str
    provenance: dict[str, object]
    outcomes: list[CheckOutcome] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    metadata: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    columns_as_in_source: Mapping[str, str] | None = None
    locate: Callable[[Problem], Problem] | None = None  # names a problem's place as the source does (a cell)


class SourceKind(Protocol):
    """One kind of source. `name` is the `sources.kind` of its rows and chooses the quarantine policy."""

    name: str
    official: bool  # refreshed from the producer (tag `source_kind: official`, `download: true` config)
    raw_checks: Mapping[str, str]  # check name → what it means, for the raw asset
    staging_checks: Mapping[str, str]  # checks `stage` runs before the observation suite
    preview_columns: list[str]

    def discover(self, layout: Layout) -> list[Source]:
        """Every source of this kind in the checkout."""

    def asset_kinds(self, source: Source) -> set[str]:
        """The kinds tags (icons) of the source's raw asset."""

    def describe_raw(self, layout: Layout, source: Source) -> str:
        """What the raw asset means to an analyst."""

    def describe_staged(self, layout: Layout, source: Source) -> str:
        """What the staging asset means to an analyst."""

    def read_raw(self, layout: Layout, source: Source, key: dg.AssetKey, download: bool) -> RawReading:
        """Look at (and, with `download`, first fetch) the raw file."""

    def stage(self, layout: Layout, source: Source, key: dg.AssetKey) -> StagedReading:
        """Read the raw file into observations with a locator per row."""
