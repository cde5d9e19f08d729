"""Forking worker processes safely. Workers are forked, not spawned, so that they inherit what they need
(matplotlib imported, charts whose drawing code is closures) instead of importing and pickling it.

A forked child must never destroy an object it inherited: a DuckDB connection collected in a child crashes it
(segmentation fault: the connection's threads live only in the parent), and a pool whose worker crashes can
wait for it forever. So the parent freezes every object it has out of the collector's reach while it forks
(`gc.freeze`, as the Python documentation advises for fork): its garbage is collected later, in the parent."""

import contextlib
import gc
import multiprocessing
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext


@contextlib.contextmanager
def forking() -> Iterator[BaseContext | None]:
    """The fork start method for processes started in the block, with this process's objects out of reach of
    the children's collector; None where processes cannot be forked (no fork on this system, or inside a daemon
    process), for the caller to do the work here instead."""
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        yield None
        return
    gc.freeze()
    try:
        yield multiprocessing.get_context("fork")
    finally:
        gc.unfreeze()


def pool(context: BaseContext, workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` processes started by `context`; a worker crashing fails the pool's futures
    (BrokenProcessPool) instead of leaving them waiting."""
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_ends_on_terminate)


def _ends_on_terminate() -> None:
    """A worker ends at once, silently, when its pool terminates it: it neither runs a SIGTERM handler it
    inherited nor ignores SIGTERM (a run started with SIGTERM ignored passes that on to every process)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
