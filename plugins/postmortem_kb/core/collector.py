"""Python's cyclic garbage collector, paused around the phases that allocate what stays alive."""

from __future__ import annotations

import gc
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
