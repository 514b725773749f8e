"""Worker processes for the build's work: how many (every core) and how they start."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os

FRESH_WORKERS_FROM = 500
"""From this many tasks on, workers start from a fresh process (forkserver) rather than as a
fork of the build: a fork shares the build's whole memory (the corpus, every page), and pages
of it get copied into each worker as Python touches their objects. Both give the same results."""


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
