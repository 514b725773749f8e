"""Python's cyclic garbage collector, paused around the phases that allocate what stays alive."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(*, age_survivors: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector for the `with` block.

    Loading a corpus and rendering pages allocate many small tracked objects that stay alive
    (parsed files; autoescaped Jinja output, one `Markup` per value, until a page is joined):
    the collector would scan the growing heap again and again.

    `age_survivors` then moves every tracked object to the oldest generation unscanned, for
    objects that live on (the loader's cache): the next young and middle collections would
    otherwise scan them all once more. Full collections still scan and free them. It is
    skipped when the program has frozen objects of its own.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if age_survivors and gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if collecting:
            gc.enable()


class IdleCollector:
    """The collector of a long-running preview, held off while a rebuild runs and run in full
    shortly after it (`mkdocs serve` keeps one across rebuilds).

    Each rebuild replaces the previous build's pages and files, whose reference cycles only a
    full collection frees; at 10,000 post-mortems one full collection scans the whole heap for
    about 3 s, and it used to start in the middle of most rebuilds, before the page was served.
    `rebuilding` turns the collector off (once a collection it scheduled is done); `built`
    schedules a full collection `delay` seconds later, in a daemon thread, after which the
    collector is on again until the next rebuild.
    """

    def __init__(self, delay: float = 1.0) -> None:
        self.delay = delay
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._was_enabled: bool | None = None

    def rebuilding(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._was_enabled is None:
                self._was_enabled = gc.isenabled()
            gc.disable()

    def built(self) -> None:
        with self._lock:
            if self._was_enabled is None:
                return
            self._timer = threading.Timer(self.delay, self._collect)
            self._timer.daemon = True
            self._timer.start()

    def _collect(self) -> None:
        with self._lock:
            if self._timer is not threading.current_thread() or self._was_enabled is None:
                return  # a rebuild started meanwhile
            self._timer = None
            gc.collect()
            if self._was_enabled:
                gc.enable()
            self._was_enabled = None
