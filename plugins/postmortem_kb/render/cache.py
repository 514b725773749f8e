"""Finished pages kept across builds by content hash, in one SQLite file a CI cache can restore.

A page is found again by the hash of everything its HTML depends on: its Markdown (with this
process's body markers taken out, their positions kept), the site's Markdown extensions and
their settings, the versions of the libraries that convert and clean it, and the source of the
modules that render it. So an entry is either exactly what rendering the page again would give,
or never looked up. Entries no build used are dropped at the end of each build, so the file
stays the size of one site. A cache that cannot be read or written is rebuilt or skipped, never
an error: it only saves time.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..core.store import Store, identity_of, sources_digest, versions
from . import bodies, passthrough, sanitize
from .bodies import FinishedPage
from .sanitize import MARKERS

CACHE_FILE = "pages.sqlite"
"""The cache's one file in the cache folder."""
SCHEMA = 2
"""Bumped when the stored form changes."""
LIBRARIES = ("markdown", "pymdown-extensions", "nh3", "pygments", "postmortem-kb")
"""Libraries whose version changes what a page renders to."""
_MODULES = (bodies, passthrough, sanitize)


def identity(kind: str, extensions: Sequence[str], configs: Mapping[str, Any]) -> str:
    """What every page's HTML depends on besides its own Markdown."""
    return identity_of(
        SCHEMA,
        kind,
        list(extensions),
        configs,
        versions(LIBRARIES),
        sources_digest(Path(m.__file__) for m in _MODULES if m.__file__),
    )


def page_key(identity: str, markdown: str, markers: tuple[str, str] = MARKERS) -> str:
    """The hash a page is cached under: its Markdown without this process's markers (which
    change every run), plus where they were (so no text an author wrote can give the same key
    as a page whose markers differ)."""
    positions = [
        [index, position]
        for index, marker in enumerate(markers)
        for position in _find_all(markdown, marker)
    ]
    stable = markdown.replace(markers[0], "").replace(markers[1], "")
    digest = hashlib.sha256(identity.encode())
    digest.update(json.dumps(sorted(positions)).encode())
    digest.update(stable.encode())
    return digest.hexdigest()


def _find_all(text: str, part: str) -> Iterable[int]:
    position = text.find(part)
    while position != -1:
        yield position
        position = text.find(part, position + len(part))


def _encode(page: FinishedPage) -> bytes:
    """The page's table of contents, title and anchors (JSON, compressed), then its packed
    HTML as it is held in memory (not unpacked to be stored, nor when it is found again)."""
    data = {
        "toc": page.toc,
        "title": page.title,
        "anchors": page.anchors,
        "crc": zlib.crc32(page.packed),
    }
    meta = zlib.compress(json.dumps(data, ensure_ascii=False).encode(), 1)
    return len(meta).to_bytes(4, "big") + meta + page.packed


def _decode(blob: bytes) -> FinishedPage:
    size = int.from_bytes(blob[:4], "big")
    data = json.loads(zlib.decompress(blob[4 : 4 + size]))
    packed = blob[4 + size :]
    if zlib.crc32(packed) != data["crc"]:
        raise ValueError("damaged entry")
    return FinishedPage(packed, data["toc"], data["title"], data["anchors"])


class PageCache:
    """The finished pages of earlier builds in `folder` (None: no cache, nothing is kept)."""

    def __init__(self, folder: Path | None) -> None:
        self._store = Store(None if folder is None else folder / CACHE_FILE, "pages")

    def get(self, keys: Sequence[str]) -> dict[str, FinishedPage]:
        """The cached pages among `keys`."""
        found: dict[str, FinishedPage] = {}
        for key, blob in self._store.get(keys).items():
            try:
                found[key] = _decode(blob)
            except (ValueError, KeyError, TypeError, zlib.error):
                continue  # a damaged entry is rendered again
        return found

    def update(self, pages: Mapping[str, FinishedPage], used: Iterable[str]) -> None:
        """Store `pages` and drop every entry not among `used` (this build's keys)."""
        if self._store.enabled:
            self._store.put((key, _encode(page)) for key, page in pages.items())
        self._store.prune(used)

    def close(self) -> None:
        self._store.close()
