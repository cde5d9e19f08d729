"""Where the pipeline reads and writes: one place for every path."""

import os
from dataclasses import dataclass
from pathlib import Path

ROOT_ENV = "ENFORCEMENT_ROOT"


class UnsafePathError(ValueError):
    """A configured path points outside the project's data folder."""


@dataclass(frozen=True)
class Layout:
    """The folders of one project checkout (or of a test's temporary copy)."""

    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def figures_dir(self) -> Path:
        return self.raw_dir / "figures"

    @property
    def curated_dir(self) -> Path:
        return self.data_dir / "curated"

    @property
    def staging_dir(self) -> Path:
        return self.curated_dir / "staging"

    @property
    def rejected_dir(self) -> Path:
        return self.curated_dir / "rejected"

    @property
    def alerts_dir(self) -> Path:
        return self.curated_dir / "alerts"

    @property
    def rejected_log_path(self) -> Path:
        return self.curated_dir / "rejected.duckdb"

    @property
    def validation_dir(self) -> Path:
        return self.curated_dir / "validation"

    @property
    def thumbnails_dir(self) -> Path:
        """The UI's chart thumbnails, one per chart asset under its PNG's checksum (made again when it changes)."""
        return self.curated_dir / "thumbnails"

    @property
    def warehouse_path(self) -> Path:
        return self.curated_dir / "enforcement.duckdb"

    @property
    def charts_dir(self) -> Path:
        return self.root / "assets" / "charts"

    @property
    def report_dir(self) -> Path:
        return self.root / "assets" / "report"

    def inside_data(self, path: Path | str) -> Path:
        """Resolve `path` (relative to the root) and refuse anything outside `data/`."""
        resolved = (self.root / path).resolve()
        if not resolved.is_relative_to(self.data_dir.resolve()):
            raise UnsafePathError(f"{path}: resolves to {resolved}, outside {self.data_dir}")
        return resolved

    def relative(self, path: Path) -> str:
        """The path as an analyst sees it: relative to the project root."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)


def default_layout() -> Layout:
    """The checkout this package lives in, unless ENFORCEMENT_ROOT names another."""
    root = os.environ.get(ROOT_ENV) or Path(__file__).resolve().parent.parent
    return Layout(Path(root).resolve())
