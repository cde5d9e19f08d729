"""Snapshots under `data/raw/eurostat/<dataset>/`: immutable response files, each with a `.meta.yml` record.

A snapshot is named `<retrieved-at>_<sha256 prefix>.<json|csv>`; its record holds the request URL, the
retrieval time, sha256, size, content type, licence and Eurostat's `updated` stamp. The newest snapshot
whose file still matches its record is the one in use.
"""

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from pipelines.eurostat import client, formats
from pipelines.eurostat.errors import SnapshotError
from pipelines.provenance import sha256_of, sidecar_path
from pipelines.sources import EUROSTAT_API, Dataset

REQUIRED_META = ("dataset", "format", "request_url", "retrieved_at", "sha256", "size_bytes", "license")


@dataclass(frozen=True)
class Snapshot:
    """One stored response and its record."""

    path: Path
    meta: dict

    @property
    def sha256(self) -> str:
        return str(self.meta["sha256"])

    @property
    def retrieved_at(self) -> str:
        return str(self.meta["retrieved_at"])

    @property
    def reconstructed(self) -> bool:
        return bool(self.meta.get("reconstructed"))


STAMP_FORMATS = ("%Y%m%dT%H%M%S%fZ", "%Y%m%dT%H%M%SZ")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(STAMP_FORMATS[0])


def _retrieval_time(path: Path) -> datetime:
    """The retrieval time a snapshot's name starts with (microseconds optional); unreadable names sort first."""
    prefix = path.name.split("_", 1)[0]
    for pattern in STAMP_FORMATS:
        try:
            return datetime.strptime(prefix, pattern)
        except ValueError:
            continue
    return datetime.min


CHECKSUMS_KEPT = 64
_checksums: dict[tuple[Path, int, int, int], str] = {}  # (path, size, mtime_ns, inode) -> sha256


def _file_key(path: Path, stat: os.stat_result) -> tuple[Path, int, int, int]:
    return (path, stat.st_size, stat.st_mtime_ns, stat.st_ino)


def _remember(key: tuple[Path, int, int, int], checksum: str) -> None:
    _checksums[key] = checksum
    while len(_checksums) > CHECKSUMS_KEPT:
        del _checksums[next(iter(_checksums))]


def _checksum(path: Path, stat: os.stat_result) -> str:
    """sha256 of a snapshot file, computed once per process for a given size, modification time and inode
    (`store` tells it the sha256 the download computed, so a snapshot just stored is not read again)."""
    key = _file_key(path, stat)
    if key not in _checksums:
        _remember(key, sha256_of(path))
    return _checksums[key]


def read_snapshot(data_file: Path) -> Snapshot:
    """A snapshot whose record is complete and whose file matches the recorded size and sha256."""
    meta_file = sidecar_path(data_file)
    try:
        meta = yaml.safe_load(meta_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SnapshotError(f"{meta_file}: unreadable snapshot record ({error})") from error
    missing = [name for name in REQUIRED_META if not isinstance(meta, dict) or not meta.get(name)]
    if missing:
        raise SnapshotError(f"{meta_file}: snapshot record lacks {missing}")
    stat = data_file.stat()
    checksum = _checksum(data_file, stat)
    if stat.st_size != int(meta["size_bytes"]) or checksum != meta["sha256"]:
        raise SnapshotError(f"{data_file}: size or sha256 differs from its record; the file was changed after storing")
    return Snapshot(data_file, meta)


def snapshot_files(dataset: Dataset) -> list[Path]:
    """The dataset's snapshot files, oldest first (names start with the retrieval time)."""
    suffix = formats.SUFFIX[dataset.format]
    files = [p for p in dataset.snapshot_dir.glob(f"*{suffix}") if not p.name.startswith(".")]
    return sorted(files, key=lambda path: (_retrieval_time(path), path.name))


def current_snapshot(dataset: Dataset) -> tuple[Snapshot | None, list[str]]:
    """The newest valid snapshot (None if there is none yet) and why any newer ones were passed over."""
    passed_over = []
    for path in reversed(snapshot_files(dataset)):
        try:
            return read_snapshot(path), passed_over
        except SnapshotError as error:
            passed_over.append(str(error))
    return None, passed_over


def store(dataset: Dataset, fetched: client.Download, info: formats.CubeInfo, extra: dict | None = None) -> Snapshot:
    """Move a checked download into the snapshot folder with its record; the record is written first."""
    now = datetime.now(UTC)
    target = dataset.snapshot_dir / f"{_stamp(now)}_{fetched.sha256[:12]}{formats.SUFFIX[dataset.format]}"
    meta = {
        "dataset": dataset.dataset,
        "source_id": dataset.source_id,
        "format": dataset.format,
        "request_url": fetched.url,
        "retrieved_at": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "sha256": fetched.sha256,
        "size_bytes": fetched.size_bytes,
        "content_type": fetched.content_type,
        "license": dataset.license,
        "eurostat_updated": info.updated,
        "dimensions": list(info.dimensions),
        "reconstructed": False,
        **(extra or {}),
    }
    dataset.snapshot_dir.mkdir(parents=True, exist_ok=True)
    meta_file = sidecar_path(target)
    meta_file.write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8")
    os.replace(fetched.path, target)
    stat = target.stat()
    if stat.st_size == fetched.size_bytes:  # the bytes the download hashed while writing them
        _remember(_file_key(target, stat), fetched.sha256)
    return Snapshot(target, meta)


@dataclass(frozen=True)
class Refresh:
    """What a refresh did: stored a new snapshot, or found the content unchanged."""

    snapshot: Snapshot
    changed: bool


def refresh(dataset: Dataset, policy: client.NetworkPolicy, api_base: str | None = None) -> Refresh:
    """Download the dataset, check the response, and store it unless it equals the current snapshot.

    Any failure raises SnapshotError and leaves the snapshot folder as it was.
    """
    url = dataset.request_url(api_base or os.environ.get(client.API_BASE_ENV) or EUROSTAT_API)
    dataset.snapshot_dir.mkdir(parents=True, exist_ok=True)
    temporary = dataset.snapshot_dir / f".download{formats.SUFFIX[dataset.format]}.partial"
    try:
        fetched = client.download(url, temporary, policy, formats.CONTENT_TYPES[dataset.format])
        info = formats.check(temporary, dataset.format, f"{url} (downloaded response)")
        current, _ = current_snapshot(dataset)
        if current is not None and current.sha256 == fetched.sha256:
            return Refresh(current, changed=False)
        return Refresh(store(dataset, fetched, info), changed=True)
    finally:
        temporary.unlink(missing_ok=True)
