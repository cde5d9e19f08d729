"""Snapshots under `data/raw/eurostat/<dataset>/`: immutable response files, each with a `.meta.yml` record.

A snapshot is named `<retrieved-at>_<sha256 prefix>.<json|csv>`; its record holds the request URL, the
retrieval time, sha256, size, content type, licence and Eurostat's `updated` stamp. The newest snapshot
is the one in use, and only if its file still matches its record: a changed, truncated or unreadable file, or
a record without its file (or a file without its record), is an error, never a reason to fall back silently
to an older snapshot.
"""

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from pipelines.eurostat import client, formats
from pipelines.eurostat.errors import SnapshotError
from pipelines.files import read_yaml
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
    if not meta_file.exists():
        raise SnapshotError(f"{data_file}: snapshot file without its record (expected {meta_file.name})")
    try:
        meta = read_yaml(meta_file)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise SnapshotError(f"{meta_file}: unreadable snapshot record ({error})") from error
    missing = [name for name in REQUIRED_META if not isinstance(meta, dict) or not meta.get(name)]
    if missing:
        raise SnapshotError(f"{meta_file}: snapshot record lacks {missing}")
    try:
        stat = data_file.stat()
        checksum = _checksum(data_file, stat)
    except OSError as error:
        raise SnapshotError(f"{data_file}: unreadable snapshot file ({error.strerror or error})") from error
    if checksum != meta["sha256"] or stat.st_size != int(meta["size_bytes"]):
        raise SnapshotError(
            f"{data_file}: the file no longer matches its record {meta_file.name}: "
            f"expected sha256 {meta['sha256']} ({meta['size_bytes']} bytes), "
            f"actual sha256 {checksum} ({stat.st_size} bytes)"
        )
    return Snapshot(data_file, meta)


def snapshot_files(dataset: Dataset) -> list[Path]:
    """The dataset's snapshot files, oldest first (names start with the retrieval time)."""
    suffix = formats.SUFFIX[dataset.format]
    files = [p for p in dataset.snapshot_dir.glob(f"*{suffix}") if not p.name.startswith(".")]
    return sorted(files, key=lambda path: (_retrieval_time(path), path.name))


def records_without_file(dataset: Dataset) -> list[Path]:
    """Snapshot records whose snapshot file is missing."""
    suffix = formats.SUFFIX[dataset.format]
    records = sorted(p for p in dataset.snapshot_dir.glob("*.meta.yml") if not p.name.startswith("."))
    return [record for record in records if not record.with_name(record.name[: -len(".meta.yml")] + suffix).exists()]


def current_snapshot(dataset: Dataset) -> Snapshot | None:
    """The newest snapshot, verified against its record; None if the dataset has none yet.

    Raises SnapshotError naming the file when a record has lost its file or the newest snapshot differs from
    its record (expected and actual sha256), is truncated or unreadable: the run must stop, not fall back.
    """
    orphans = records_without_file(dataset)
    if orphans:
        names = ", ".join(str(record) for record in orphans)
        raise SnapshotError(f"snapshot record without its file: {names} (the snapshot file is missing)")
    files = snapshot_files(dataset)
    return read_snapshot(files[-1]) if files else None


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
        try:
            current = current_snapshot(dataset)
        except SnapshotError:  # a damaged current snapshot: the checked download replaces it as the newest
            current = None
        if current is not None and current.sha256 == fetched.sha256:
            return Refresh(current, changed=False)
        return Refresh(store(dataset, fetched, info), changed=True)
    finally:
        temporary.unlink(missing_ok=True)
