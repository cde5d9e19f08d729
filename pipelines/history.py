"""Dagster's run history (its SQLite files under DAGSTER_HOME) written without a disk flush per event.

Dagster opens and closes a SQLite connection for every event it stores (about 200 in a run). Closing the last
connection to a database in WAL mode checkpoints it, and each commit waits for the disk: 10-17 ms per event
here, seconds per run. Two standard SQLite settings remove that cost: `synchronous=NORMAL`, the setting
SQLite recommends for WAL mode (a crash can lose the last events, never corrupt the file), and one
connection kept open per database file, so that closing Dagster's connection is no longer a checkpoint.
In-memory databases (the tests' ephemeral instances) and databases not in WAL mode are left as they are.
"""

import sqlite3
import threading
from collections import OrderedDict

from sqlalchemy import event
from sqlalchemy.engine import Engine

KEPT_OPEN = 32  # database files held open at once (one per run, plus the run and schedule indexes)

_kept: OrderedDict[str, sqlite3.Connection] = OrderedDict()
_lock = threading.Lock()


def _database_file(connection: sqlite3.Connection) -> str:
    """The file of a connection's main database, or "" for an in-memory one."""
    return next((row[2] for row in connection.execute("PRAGMA database_list") if row[1] == "main"), "")


def _on_connect(connection: object, _record: object) -> None:
    if not isinstance(connection, sqlite3.Connection):
        return
    path = _database_file(connection)
    if not path or connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        return
    connection.execute("PRAGMA synchronous=NORMAL")
    with _lock:
        if path in _kept:
            _kept.move_to_end(path)
            return
        kept = _kept[path] = sqlite3.connect(path, check_same_thread=False)
        kept.execute("PRAGMA schema_version").fetchone()  # a first read opens the WAL index: now it counts
        while len(_kept) > KEPT_OPEN:
            _kept.popitem(last=False)[1].close()


def write_history_without_flushes() -> None:
    """Apply the settings above to every SQLite connection this process opens from now on (idempotent)."""
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
