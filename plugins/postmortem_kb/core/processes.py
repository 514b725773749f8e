"""Worker processes for the build's work: how many (every core) and how they start."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.context
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger("mkdocs.plugins.postmortem_kb")

FRESH_WORKERS_FROM = 500
"""From this many tasks on, workers start from a fresh process (forkserver) rather than as a
fork of the build: a fork shares the build's whole memory (the corpus, every page), and pages
of it get copied into each worker as Python touches their objects. Both give the same results."""


PRELOADED = (
    "__main__",
    "postmortem_kb.core.corpus",
    "postmortem_kb.render.workers",
    "postmortem_kb.render.search_index",
)
"""What the fork server imports once, before it forks the first worker (the modules whose
functions workers run, and with them the libraries they use): each worker started afresh is a
fork of it, so none imports them again (about a second of a core each) and their memory is
shared. `__main__` first, as by default: a script's main module is still imported there."""


def context(tasks: int) -> multiprocessing.context.BaseContext:
    """How workers for `tasks` tasks start."""
    if tasks >= FRESH_WORKERS_FROM and "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context()


def worker_count() -> int:
    """Every core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


WORKER_NICENESS = 5
"""How much lower than the build's own process a worker runs. The build's process makes the
pages the workers finish and then runs the engine's theme, one page at a time: whatever it waits
for a core lengthens the build, while the workers' work can wait (on two cores, equal shares
gave it a third of the machine and left the workers idle at the end of page generation)."""


def _start_lower(initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    """A worker's start: its priority lowered (WORKER_NICENESS), then `initializer`."""
    with contextlib.suppress(OSError):  # not permitted: it runs at the build's priority
        os.nice(WORKER_NICENESS)
    initializer(*initargs)


def _ready() -> None:
    """A worker's first task: it shows the pool could start."""


_FAILED: set[str] = set()
"""Start methods whose workers could not start in this process (they will not start later)."""


def start_pool(
    size: int,
    tasks: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    *,
    fork: bool = True,
) -> ProcessPoolExecutor | None:
    """A started pool of `size` workers for `tasks` tasks, or None when none can start.

    Workers started afresh import the main module again: a script that runs a build at module
    level, without an `if __name__ == "__main__":` guard, breaks every such pool. Workers
    forked from the build are then used, for the rest of the process, with one notice (or,
    where they cannot start either, None: the caller does the work in its own process).
    `fork=False`: never forked (a pool started from a thread while the build goes on, whose
    fork could copy a lock another thread holds), None instead.
    """
    methods = [context(tasks).get_start_method()]
    if not fork:
        methods = [method for method in methods if method != "fork"]
    elif "fork" in multiprocessing.get_all_start_methods():
        methods.append("fork")
    for method in dict.fromkeys(m for m in methods if m not in _FAILED):
        mp_context = multiprocessing.get_context(method)
        if isinstance(mp_context, multiprocessing.context.ForkServerContext):
            mp_context.set_forkserver_preload(list(PRELOADED))  # before it starts, else moot
        pool = ProcessPoolExecutor(
            size,
            mp_context=mp_context,
            initializer=_start_lower,
            initargs=(initializer, initargs),
        )
        try:
            pool.submit(_ready).result()
        except BrokenProcessPool:
            pool.shutdown(wait=True, cancel_futures=True)
            _FAILED.add(method)
            log.info(
                f"postmortem-kb: worker processes started by {method} could not start (a script"
                ' that runs a build needs an `if __name__ == "__main__":` guard); not using them'
            )
            continue
        return pool
    return None
