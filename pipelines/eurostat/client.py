"""Download one dissemination-API response to a temporary file: timeouts, retries, a size limit, a checksum."""

import hashlib
import os
from dataclasses import dataclass, fields
from pathlib import Path

import lazy_loader as lazy

from pipelines.eurostat.errors import SnapshotError

urllib3 = lazy.load("urllib3", error_on_import=True)

API_BASE_ENV = "EUROSTAT_API_BASE"
CHUNK = 1 << 20


@dataclass(frozen=True)
class NetworkPolicy:
    """How patient and how trusting a download is."""

    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    retries: int = 4
    backoff_factor: float = 2.0
    max_bytes: int = 2 * 1024**3

    @classmethod
    def from_environment(cls) -> "NetworkPolicy":
        """Defaults, each overridable by EUROSTAT_<FIELD> (e.g. EUROSTAT_READ_TIMEOUT=30, EUROSTAT_MAX_BYTES)."""
        given = {f.name: os.environ.get(f"EUROSTAT_{f.name.upper()}") for f in fields(cls)}
        return cls(**{name: type(getattr(cls, name))(value) for name, value in given.items() if value})


@dataclass(frozen=True)
class Download:
    """A response body stored in a temporary file, with what the server said about it."""

    path: Path
    url: str
    sha256: str
    size_bytes: int
    content_type: str


def download(url: str, target: Path, policy: NetworkPolicy, accepted_types: tuple[str, ...]) -> Download:
    """GET `url` into `target`; raise SnapshotError on an HTTP error, timeout, wrong type, oversize or short body.

    429 and 5xx answers and timeouts are retried with exponential backoff (honouring Retry-After).
    """
    retry = urllib3.Retry(
        total=policy.retries,
        backoff_factor=policy.backoff_factor,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=("GET",),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    timeout = urllib3.Timeout(connect=policy.connect_timeout, read=policy.read_timeout)
    with urllib3.PoolManager(retries=retry, timeout=timeout, headers={"Accept-Encoding": "gzip"}) as http:
        try:
            response = http.request("GET", url, preload_content=False)
        except urllib3.exceptions.HTTPError as error:
            raise SnapshotError(f"{url}: no usable answer after {policy.retries} retries ({error})") from error
        try:
            if response.status != 200:
                raise SnapshotError(f"{url}: HTTP {response.status} {response.reason}; expected 200 OK")
            content_type = response.headers.get("Content-Type", "")
            if content_type.split(";")[0].strip().lower() not in accepted_types:
                raise SnapshotError(
                    f"{url}: content type {content_type!r}; expected one of {', '.join(accepted_types)}"
                )
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > policy.max_bytes:
                raise SnapshotError(f"{url}: {declared} bytes announced; the limit is {policy.max_bytes} bytes")
            digest, size = hashlib.sha256(), 0
            with target.open("wb") as handle:
                for chunk in response.stream(CHUNK):
                    size += len(chunk)
                    if size > policy.max_bytes:
                        raise SnapshotError(f"{url}: body exceeds the limit of {policy.max_bytes} bytes")
                    digest.update(chunk)
                    handle.write(chunk)
        except urllib3.exceptions.HTTPError as error:
            raise SnapshotError(f"{url}: the body was cut short or timed out ({error})") from error
        finally:
            response.release_conn()
    return Download(target, url, digest.hexdigest(), size, content_type)
