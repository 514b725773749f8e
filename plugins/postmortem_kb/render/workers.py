"""Generated pages rendered in worker processes (every core), each within a time budget.

Python-Markdown is super-linear on some inputs (thousands of `[`, deeply nested lists) and can
hit the recursion limit. A page whose rendering runs past `budget` seconds, recurses too deep or
fails is not written with its body: it gets a notice instead, and the failure names its source
file. The output does not depend on the number of workers: pages are returned in input order.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from ..core.packed import pack, unpack
from ..core.processes import start_pool, worker_count
from .bodies import BodyRenderer, FinishedPage, PageRenderer, without_bodies
from .cache import PageCache, identity, page_key
from .pages import GeneratedPage
from .sanitize import MARKERS

DEFAULT_BUDGET = 20.0
"""Seconds one page may take (the slowest example page takes well under 0.1 s)."""

RENDERERS: dict[str, type[PageRenderer] | type[BodyRenderer]] = {
    "finish": PageRenderer,
    "bodies": BodyRenderer,
}
"""What a worker makes of a page: finished HTML (`finish_pages`), or its bodies pre-rendered
and the rest left as Markdown (`render_bodies`)."""


class Job:
    """One page to render: its generated Markdown, held packed (core/packed.py) until a worker
    converts it, and the source file shown when it fails."""

    __slots__ = ("packed", "source")

    def __init__(self, markdown: str, source: str) -> None:
        self.packed = pack(markdown)
        self.source = source

    @classmethod
    def of_page(cls, page: GeneratedPage) -> Job:
        """The job of a generated Markdown page (its text stays packed, the same object)."""
        job = cls.__new__(cls)
        job.packed, job.source = page.packed, page.source or page.path
        return job

    @property
    def markdown(self) -> str:
        return unpack(self.packed)


class _Budget(Exception):
    """Raised in a worker when a page runs past its time budget."""


_renderer: PageRenderer | BodyRenderer | None = None
_setup: tuple[Any, ...] = ("finish", (), {}, MARKERS)
"""What this worker was set up with (`_start`'s arguments): kind, extensions, configs, markers."""


def _start(
    kind: str,
    extensions: Sequence[str],
    configs: Mapping[str, Mapping[str, Any]],
    markers: tuple[str, str],
) -> None:
    """Set up a worker: its renderer, with the body markers of the process that made the pages
    (a worker started afresh has markers of its own, which the pages do not carry)."""
    global _renderer, _setup
    _renderer = RENDERERS[kind](extensions, configs, markers)
    _setup = (kind, extensions, configs, markers)


def _apply(markdown: str) -> Any:
    assert _renderer is not None
    if isinstance(_renderer, PageRenderer):
        return _renderer.finish(markdown)
    return _renderer.page(markdown)


def _expired(signum: int, frame: FrameType | None) -> None:
    raise _Budget


def _render(markdown: str, budget: float) -> tuple[Any, str | None]:
    """(page, None), or (page without its bodies, why) when it failed or ran out of time.

    The budget is kept by an alarm, which only the main thread can set: elsewhere (a `serve`
    rebuild) pages go to workers, unless no worker can start at all (processes.start_pool)."""
    timed = threading.current_thread() is threading.main_thread()
    if timed:
        previous = signal.signal(signal.SIGALRM, _expired)
        signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        return _apply(markdown), None
    except _Budget:
        reason = f"its body took longer than {budget:g} s to render"
    except RecursionError:
        reason = "its body is nested too deeply to render"
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return _without_bodies(markdown, reason), reason


def _without_bodies(markdown: str, reason: str) -> Any:
    """The page with a notice for each body, from a fresh renderer (a conversion cut short
    leaves Markdown's parser state behind)."""
    _start(*_setup)
    return _apply(without_bodies(markdown, reason, _setup[3]))


def _alone(job: Job, setup: tuple[Any, ...], budget: float) -> tuple[Any, str | None]:
    """One page in a pool of its own (after a worker crashed)."""
    with ProcessPoolExecutor(1, initializer=_start, initargs=setup) as pool:
        try:
            return pool.submit(_render_many, [job.packed], budget).result()[0]
        except BrokenProcessPool:
            reason = "rendering its body crashed the worker process"
            _start(*setup)
            return _without_bodies(job.markdown, reason), reason


def _run(
    kind: str,
    jobs: Sequence[Job],
    extensions: Sequence[str],
    configs: Mapping[str, Mapping[str, Any]],
    workers: int | None,
    budget: float,
) -> tuple[list[Any], list[str | None]]:
    """Each job's page and, when its bodies were left out, why (else None)."""
    setup = (kind, tuple(extensions), configs, MARKERS)
    count = worker_count() if workers is None else workers
    # The budget's alarm can only be set in the main thread: elsewhere (a `serve` rebuild)
    # even a single page goes to a worker.
    here = threading.current_thread() is threading.main_thread()
    if not jobs:
        return [], []
    size = max(1, min(count, len(jobs)))
    pool = None
    if not (here and (count <= 1 or len(jobs) <= 1)):
        pool = start_pool(size, len(jobs), _start, setup)
    if pool is None:
        _start(*setup)
        outcomes = [_render(job.markdown, budget) for job in jobs]
    else:
        with pool:
            # Pages go in chunks: fewer round trips between processes than one at a time.
            step = max(1, min(16, len(jobs) // (size * 8)))
            chunks = [jobs[i : i + step] for i in range(0, len(jobs), step)]
            futures: list[Future[list[tuple[Any, str | None]]]] = [
                pool.submit(_render_many, [job.packed for job in part], budget) for part in chunks
            ]
            results: list[tuple[Any, str | None] | None] = []
            for part, future in zip(chunks, futures, strict=True):
                try:
                    results.extend(future.result())
                except BrokenProcessPool:  # a worker crashed (e.g. its C stack overflowed)
                    results.extend([None] * len(part))
        # After a crash every unfinished page fails alike: each is retried alone to find which.
        outcomes = [
            result if result is not None else _alone(job, setup, budget)
            for job, result in zip(jobs, results, strict=True)
        ]
    return [page for page, _ in outcomes], [reason for _, reason in outcomes]


def _failures(jobs: Sequence[Job], reasons: Sequence[str | None]) -> list[str]:
    return [
        f"{job.source}: {reason}; its page is written without it"
        for job, reason in zip(jobs, reasons, strict=True)
        if reason is not None
    ]


def _render_many(packed: list[bytes], budget: float) -> list[tuple[Any, str | None]]:
    """A chunk of pages (fewer round trips between processes than one page at a time), sent
    packed (a tenth of the bytes through the pipe)."""
    return [_render(unpack(markdown), budget) for markdown in packed]


@dataclass
class Finished:
    """The finished pages of a build, in order, and what it took."""

    pages: list[FinishedPage]
    failures: list[str]
    """One message per page whose bodies were left out (not cached: reported every build)."""
    cached: int = 0
    """Pages taken from the cache."""


@dataclass
class FinishedMemo:
    """A preview's finished pages of the previous build (`mkdocs serve` keeps one across
    rebuilds): each page by its cache key, and each source's packed Markdown with its key, so
    the same text (the very object a reused page hands on) is not hashed again."""

    pages: dict[str, FinishedPage] = field(default_factory=dict)
    keys: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def key(self, site: str, job: Job) -> str:
        kept = self.keys.get(job.source)
        if kept is not None and kept[0] is job.packed:
            return kept[1]
        return page_key(site, job.markdown)


def finish_pages(
    jobs: Sequence[Job],
    extensions: Sequence[str],
    configs: Mapping[str, Mapping[str, Any]],
    *,
    workers: int | None = None,
    budget: float = DEFAULT_BUDGET,
    cache: PageCache | None = None,
    memo: FinishedMemo | None = None,
) -> Finished:
    """Every job's page as finished HTML (bodies.PageRenderer), in order, and one message per
    page whose bodies were left out. Pages in `cache` are taken from it; the others are
    rendered and stored, and entries for no job of this build are dropped.

    `memo` (a preview's, with a cache): the pages of the previous build, taken from memory
    before the cache is read; it is left holding this build's pages.
    `workers=1` renders in this process (no pool); more use a process pool of that size.
    """
    if cache is None:
        pages, reasons = _run("finish", jobs, extensions, configs, workers, budget)
        return Finished(pages, _failures(jobs, reasons))
    site = identity("finish", extensions, configs)
    keys = [page_key(site, job.markdown) if memo is None else memo.key(site, job) for job in jobs]
    kept = memo.pages if memo is not None else {}
    known = {key: kept[key] for key in keys if key in kept}
    found = known | cache.get([key for key in keys if key not in known])
    missing = [index for index, key in enumerate(keys) if key not in found]
    todo = [jobs[i] for i in missing]
    rendered, reasons = _run("finish", todo, extensions, configs, workers, budget)
    fresh = {
        keys[index]: page
        for index, page, reason in zip(missing, rendered, reasons, strict=True)
        if reason is None
    }
    cache.update(fresh, keys)
    by_index = dict(zip(missing, rendered, strict=True))
    pages = [by_index[i] if i in by_index else found[key] for i, key in enumerate(keys)]
    if memo is not None:
        memo.pages = found | fresh
        memo.keys = {job.source: (job.packed, key) for job, key in zip(jobs, keys, strict=True)}
    return Finished(pages, _failures(todo, reasons), cached=len(keys) - len(missing))


def render_bodies(
    jobs: Sequence[Job],
    extensions: Sequence[str],
    configs: Mapping[str, Mapping[str, Any]],
    *,
    workers: int | None = None,
    budget: float = DEFAULT_BUDGET,
) -> tuple[list[str], list[str]]:
    """Every job's page with its bodies rendered (bodies.BodyRenderer), in order, and one
    message per page whose bodies were left out."""
    pages, reasons = _run("bodies", jobs, extensions, configs, workers, budget)
    return pages, _failures(jobs, reasons)


class Background:
    """`task(*args)` run in a thread of this process while the build goes on.

    The build starts it before its worker processes render the pages, while its own thread
    only waits for them: the task uses that time of a core and shares the build's memory (a
    forked child, which it was, copies most of it as both processes touch their objects: at
    10,000 post-mortems the pair needed 2.1 GB where the build alone needs 1.4 GB). `wait`
    returns once the task is done, and raises what the task raised.
    """

    def __init__(self, task: Callable[..., None], *args: Any) -> None:
        self._task, self._args = task, args
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="postmortem-kb", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._task(*self._args)
        except BaseException as exc:  # handed to `wait`
            self._failure = exc

    def wait(self) -> None:
        """Wait for the task, and raise what it raised."""
        self._thread.join()
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure
