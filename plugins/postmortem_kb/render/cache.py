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
import sqlite3
import zlib
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from . import bodies, passthrough, sanitize
from .bodies import FinishedPage
from .sanitize import MARKERS

CACHE_FILE = "pages.sqlite"
"""The cache's one file in the cache folder."""
SCHEMA = 1
"""Bumped when the stored form changes."""
LIBRARIES = ("markdown", "pymdown-extensions", "nh3", "pygments", "postmortem-kb")
"""Libraries whose version changes what a page renders to."""
_MODULES = (bodies, passthrough, sanitize)


def _describe(value: object) -> str:
    """A stable text for a setting that is not plain data (a slugify function: its name)."""
    module = getattr(value, "__module__", type(value).__module__)
    name = getattr(value, "__qualname__", type(value).__qualname__)
    return f"{module}.{name}"


def identity(kind: str, extensions: Sequence[str], configs: Mapping[str, Any]) -> str:
    """What every page's HTML depends on besides its own Markdown."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = ""
    sources = hashlib.sha256()
    for module in _MODULES:
        if module.__file__ is not None:
            sources.update(Path(module.__file__).read_bytes())
    settings = json.dumps(
        [SCHEMA, kind, list(extensions), configs, versions, sources.hexdigest()],
        sort_keys=True,
        default=_describe,
    )
    return hashlib.sha256(settings.encode()).hexdigest()


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
    data = {"html": page.html, "toc": page.toc, "title": page.title, "anchors": page.anchors}
    return zlib.compress(json.dumps(data, ensure_ascii=False).encode(), 1)


def _decode(blob: bytes) -> FinishedPage:
    data = json.loads(zlib.decompress(blob))
    return FinishedPage(data["html"], data["toc"], data["title"], data["anchors"])


class PageCache:
    """The finished pages of earlier builds in `folder` (None: no cache, nothing is kept)."""

    def __init__(self, folder: Path | None) -> None:
        self._db: sqlite3.Connection | None = None
        if folder is None:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = self._open(folder / CACHE_FILE)
        except (OSError, sqlite3.Error):
            self._db = None

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        table = "CREATE TABLE IF NOT EXISTS pages (key TEXT PRIMARY KEY, page BLOB)"
        try:
            db = sqlite3.connect(path)
            db.execute(table)
        except sqlite3.DatabaseError:  # not a database (e.g. a truncated file): start again
            path.unlink(missing_ok=True)
            db = sqlite3.connect(path)
            db.execute(table)
        return db

    def get(self, keys: Sequence[str]) -> dict[str, FinishedPage]:
        """The cached pages among `keys`."""
        found: dict[str, FinishedPage] = {}
        if self._db is None or not keys:
            return found
        try:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (key TEXT PRIMARY KEY)")
            self._db.execute("DELETE FROM wanted")
            self._db.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", ((k,) for k in keys))
            rows = self._db.execute("SELECT key, page FROM pages JOIN wanted USING (key)")
            for key, blob in rows:
                try:
                    found[key] = _decode(blob)
                except (ValueError, KeyError, TypeError, zlib.error):
                    continue  # a damaged entry is rendered again
        except sqlite3.Error:
            return {}
        return found

    def update(self, pages: Mapping[str, FinishedPage], used: Iterable[str]) -> None:
        """Store `pages` and drop every entry not among `used` (this build's keys)."""
        if self._db is None:
            return
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO pages VALUES (?, ?)",
                    ((key, _encode(page)) for key, page in pages.items()),
                )
                self._db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
                self._db.execute("DELETE FROM used")
                self._db.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in used))
                self._db.execute("DELETE FROM pages WHERE key NOT IN (SELECT key FROM used)")
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
