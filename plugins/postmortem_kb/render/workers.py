"""Bodies of many pages rendered in worker processes (every core), each within a time budget.

Python-Markdown is super-linear on some inputs (thousands of `[`, deeply nested lists) and can
hit the recursion limit. A page whose rendering runs past `budget` seconds, recurses too deep or
fails is not written with its body: it gets a notice instead, and the failure names its source
file. The output does not depend on the number of workers: pages are returned in input order.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import FrameType
from typing import Any

from .bodies import BodyRenderer, without_bodies

DEFAULT_BUDGET = 20.0
"""Seconds one page may take (the slowest example page takes well under 0.1 s)."""


@dataclass(frozen=True)
class Job:
    """One page to render: its generated Markdown and the source file shown when it fails."""

    markdown: str
    source: str


class _Budget(Exception):
    """Raised in a worker when a page runs past its time budget."""


_renderer: BodyRenderer | None = None


def _start(extensions: Sequence[str], configs: Mapping[str, Mapping[str, Any]]) -> None:
    global _renderer
    _renderer = BodyRenderer(extensions, configs)


def _expired(signum: int, frame: FrameType | None) -> None:
    raise _Budget


def _render(markdown: str, budget: float) -> tuple[str, str | None]:
    """(page, None), or (page without its bodies, why) when it failed or ran out of time."""
    assert _renderer is not None
    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        return _renderer.page(markdown), None
    except _Budget:
        reason = f"its body took longer than {budget:g} s to render"
    except RecursionError:
        reason = "its body is nested too deeply to render"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return without_bodies(markdown, reason), reason


def _alone(
    job: Job, extensions: Sequence[str], configs: Mapping[str, Mapping[str, Any]], budget: float
) -> tuple[str, str | None]:
    """One page in a pool of its own (after a worker crashed)."""
    with ProcessPoolExecutor(1, initializer=_start, initargs=(extensions, configs)) as pool:
        try:
            return pool.submit(_render, job.markdown, budget).result()
        except BrokenProcessPool:
            reason = "rendering its body crashed the worker process"
            return without_bodies(job.markdown, reason), reason


def worker_count() -> int:
    """Every core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def render_pages(
    jobs: Sequence[Job],
    extensions: Sequence[str],
    configs: Mapping[str, Mapping[str, Any]],
    *,
    workers: int | None = None,
    budget: float = DEFAULT_BUDGET,
) -> tuple[list[str], list[str]]:
    """Every job's page with its bodies rendered, in order, and one message per failed page.

    `workers=1` renders in this process (no pool); more use a process pool of that size.
    """
    count = worker_count() if workers is None else workers
    if count <= 1 or len(jobs) <= 1:
        _start(extensions, configs)
        outcomes = [_render(job.markdown, budget) for job in jobs]
    else:
        with ProcessPoolExecutor(
            max_workers=count, initializer=_start, initargs=(extensions, configs)
        ) as pool:
            futures: list[Future[tuple[str, str | None]]] = [
                pool.submit(_render, job.markdown, budget) for job in jobs
            ]
            results: list[tuple[str, str | None] | None] = []
            for future in futures:
                try:
                    results.append(future.result())
                except BrokenProcessPool:  # a worker crashed (e.g. its C stack overflowed)
                    results.append(None)
        # After a crash every unfinished page fails alike: each is retried alone to find which.
        outcomes = [
            result if result is not None else _alone(job, extensions, configs, budget)
            for job, result in zip(jobs, results, strict=True)
        ]
    pages = [page for page, _ in outcomes]
    failures = [
        f"{job.source}: {reason}; its page is written without it"
        for job, (_, reason) in zip(jobs, outcomes, strict=True)
        if reason is not None
    ]
    return pages, failures
