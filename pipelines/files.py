"""Writing outputs so that a failed run never destroys the last good one."""

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_abandoned(target: Path) -> None:
    """Remove temporary files left beside `target` by processes that were killed while writing."""
    prefix = f".{target.name}."
    with os.scandir(target.parent) as entries:  # a plain scan: glob's pattern matching was most of a small write
        leftovers = [entry.name for entry in entries if entry.name.startswith(prefix) and ".partial" in entry.name]
    for name in leftovers:
        pid = name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            (target.parent / name).unlink(missing_ok=True)


@contextlib.contextmanager
def replaced_on_success(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; move it over `target` only if the block succeeds.

    The temporary name carries the process id, so two runs writing the same output never share it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(target)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    temporary.unlink(missing_ok=True)
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
