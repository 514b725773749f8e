"""Generated pages rendered in worker processes (every core), each within a time budget.

Python-Markdown is super-linear on some inputs (thousands of `[`, deeply nested lists) and can
hit the recursion limit. A page whose rendering runs past `budget` seconds, recurses too deep or
fails is not written with its body: it gets a notice instead, and the failure names its source
file. The output does not depend on the number of workers: pages are returned in input order.
"""

from __future__ import annotations

import contextlib
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

    pages: list[Any]
    """`FinishedPage`s (of `finish_pages`), or Markdown texts (of `render_bodies`)."""
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


class PageFinisher:
    """Renders pages as they are handed to it (`add`), in worker processes on every core: the
    build makes the other pages meanwhile. `result` waits for them all and gives them in the
    order they were added, the same pages as rendering each in turn in this process.

    Jobs go to the workers in chunks (fewer round trips between processes). With a `cache`
    (finished pages only), each chunk is looked up first and only the pages not found are
    rendered; at the end they are stored and entries for no page of this build dropped.
    `memo` (a preview's, with a cache): the pages of the previous build, taken from memory
    before the cache is read; it is left holding this build's pages. `expected`: about how many
    pages will be added (the chunk size and how workers start depend on it). `workers=1`
    renders in this process (no pool); more use a process pool of that size. Use it as a
    context manager: leaving it stops the workers, whether or not `result` was called.
    """

    def __init__(
        self,
        kind: str,
        extensions: Sequence[str],
        configs: Mapping[str, Mapping[str, Any]],
        *,
        expected: int,
        workers: int | None = None,
        budget: float = DEFAULT_BUDGET,
        cache: PageCache | None = None,
        memo: FinishedMemo | None = None,
    ) -> None:
        self._setup = (kind, tuple(extensions), configs, MARKERS)
        self._budget = budget
        self._cache = cache
        self._memo = memo if cache is not None else None
        # What every cached page depends on besides its Markdown (read only with a cache).
        self._site = identity(kind, extensions, configs) if cache is not None else ""
        count = worker_count() if workers is None else workers
        self._size = max(1, min(count, expected))
        self._expected = expected
        # The budget's alarm can only be set in the main thread: elsewhere (a `serve` rebuild)
        # even a single page goes to a worker.
        self._here = threading.current_thread() is threading.main_thread()
        self._in_process = self._here and count <= 1
        self._step = max(1, min(16, expected // (self._size * 8)))
        self._jobs: list[Job] = []
        self._keys: list[str] = []
        self._found: dict[str, FinishedPage] = {}
        self._waiting: list[int] = []
        """Added jobs not yet looked up nor sent."""
        self._todo: list[int] = []
        """Jobs to render (not found in the memo or the cache), in order."""
        self._sent: list[tuple[list[int], Future[list[tuple[Any, str | None]]]]] = []
        self._pool: ProcessPoolExecutor | None = None
        self.sent = 0
        """Pages handed to the workers so far (the others are found, or wait for a chunk)."""

    def __enter__(self) -> PageFinisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, job: Job) -> int:
        """Hand over one page: it is rendered while more are added. Its index in `result`."""
        index = len(self._jobs)
        self._waiting.append(index)
        self._jobs.append(job)
        if len(self._waiting) >= self._step:
            self._send()
        return index

    def _send(self) -> None:
        """Look up the waiting jobs, and send those to render to a worker as one chunk."""
        waiting, self._waiting = self._waiting, []
        if self._cache is not None:
            memo = self._memo
            keys = [
                page_key(self._site, self._jobs[i].markdown)
                if memo is None
                else memo.key(self._site, self._jobs[i])
                for i in waiting
            ]
            self._keys.extend(keys)
            kept = memo.pages if memo is not None else {}
            known = {key: kept[key] for key in keys if key in kept}
            self._found |= known | self._cache.get([key for key in keys if key not in known])
            waiting = [i for i in waiting if self._keys[i] not in self._found]
        self._todo.extend(waiting)
        if not waiting or self._in_process:
            return
        packed = [self._jobs[i].packed for i in waiting]
        for _ in range(2):
            if self._pool is None:
                self._pool = start_pool(self._size, self._expected, _start, self._setup)
                if self._pool is None:  # no worker can start: the pages are rendered here
                    self._in_process = True
                    return
            try:
                future = self._pool.submit(_render_many, packed, self._budget)
            except BrokenProcessPool:
                # A worker crashed on a page sent earlier (its C stack overflowed, say): the
                # pages that pool did not finish are retried alone in `result`; the pages still
                # to come go to a new pool.
                self._pool.shutdown(wait=True)
                self._pool = None
                continue
            self._sent.append((waiting, future))
            self.sent += len(waiting)
            return

    def result(self) -> Finished:
        """Every page added, in order, once all are rendered, and one message per page whose
        bodies were left out."""
        if self._waiting:
            if not self._sent and self._here and len(self._waiting) <= 1:
                self._in_process = True  # one page: no pool is worth starting for it
            self._send()
        outcomes: dict[int, tuple[Any, str | None]] = {}
        for part, future in self._sent:
            # A worker that crashed (e.g. its C stack overflowed) leaves its pages without one.
            with contextlib.suppress(BrokenProcessPool):
                outcomes.update(zip(part, future.result(), strict=True))
        self.close()
        if self._in_process:
            _start(*self._setup)
        for index in self._todo:
            if index not in outcomes:
                job = self._jobs[index]
                outcomes[index] = (
                    _render(job.markdown, self._budget)
                    if self._in_process
                    # After a crash every unfinished page fails alike: each is retried alone.
                    else _alone(job, self._setup, self._budget)
                )
        todo = [self._jobs[i] for i in self._todo]
        failures = _failures(todo, [outcomes[i][1] for i in self._todo])
        if self._cache is None:
            return Finished([outcomes[i][0] for i in range(len(self._jobs))], failures)
        fresh = {self._keys[i]: page for i, (page, reason) in outcomes.items() if reason is None}
        self._cache.update(fresh, self._keys)
        pages = [
            outcomes[i][0] if i in outcomes else self._found[key]
            for i, key in enumerate(self._keys)
        ]
        if self._memo is not None:
            self._memo.pages = self._found | fresh
            self._memo.keys = {
                job.source: (job.packed, key)
                for job, key in zip(self._jobs, self._keys, strict=True)
            }
        return Finished(pages, failures, cached=len(self._keys) - len(self._todo))

    def close(self) -> None:
        """Stop the workers (pages not yet rendered are dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


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
    page whose bodies were left out (`PageFinisher`, every job added at once)."""
    return _all_at_once(
        "finish", jobs, extensions, configs, workers=workers, budget=budget, cache=cache, memo=memo
    )


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
    result = _all_at_once("bodies", jobs, extensions, configs, workers=workers, budget=budget)
    return result.pages, result.failures


def _all_at_once(
    kind: str,
    jobs: Sequence[Job],
    extensions: Sequence[str],
    configs: Mapping[str, Mapping[str, Any]],
    **options: Any,
) -> Finished:
    """A `PageFinisher`'s result for `jobs`, all added at once."""
    with PageFinisher(kind, extensions, configs, expected=len(jobs), **options) as finisher:
        for job in jobs:
            finisher.add(job)
        return finisher.result()


class Background:
    """`task(*args)` run in a thread of this process while the build goes on.

    The thread shares the build's memory (a forked child, which it was, copies most of it as
    both processes touch their objects: at 10,000 post-mortems the pair needed 2.1 GB where the
    build alone needs 1.4 GB) but also its interpreter lock: a task of much Python slows the
    build's own thread by as much, so the search index's task only reads the incidents and
    sends their text to a worker process (search_index.write_search_index_apart). `wait`
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
