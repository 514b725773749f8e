"""A table of entries by content hash in one SQLite file of the cache folder (read many at once,
write many at once, drop what a build did not use); it only saves time, so it never fails one."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from enum import Enum
from importlib import metadata
from pathlib import Path


def versions(libraries: Iterable[str]) -> dict[str, str]:
    """The installed version of each library ("" when it is not installed)."""
    found = {}
    for name in libraries:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = ""
    return found


def sources_digest(files: Iterable[Path]) -> str:
    """A hash of source files (a changed rule changes what is cached)."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def identity_of(*parts: object) -> str:
    """A hash of plain data (what every entry of a cache depends on besides its own input)."""
    text = json.dumps(parts, sort_keys=True, default=_describe)
    return hashlib.sha256(text.encode()).hexdigest()


def _describe(value: object) -> object:
    """A stable form for what JSON has no form for: an enum member by its value, a set sorted,
    a function by its name."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(json.dumps(item, sort_keys=True, default=_describe) for item in value)
    module = getattr(value, "__module__", type(value).__module__)
    name = getattr(value, "__qualname__", type(value).__qualname__)
    return f"{module}.{name}"


class Store:
    """The entries of one table in the SQLite file `path` (None: no store, nothing is kept).

    A file that is not a database (a truncated cache) is started again; any other error makes
    reads find nothing and writes do nothing.
    """

    def __init__(self, path: Path | None, table: str) -> None:
        self._db: sqlite3.Connection | None = None
        self._table = table
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = self._open(path)
        except (OSError, sqlite3.Error):
            self._db = None

    @property
    def enabled(self) -> bool:
        """False when nothing is kept (no file, or it could not be opened)."""
        return self._db is not None

    def _open(self, path: Path) -> sqlite3.Connection:
        create = f"CREATE TABLE IF NOT EXISTS {self._table} (key TEXT PRIMARY KEY, value BLOB)"
        try:
            db = sqlite3.connect(path)
            db.execute(create)
        except sqlite3.DatabaseError:  # not a database (e.g. a truncated file): start again
            path.unlink(missing_ok=True)
            db = sqlite3.connect(path)
            db.execute(create)
        return db

    def get(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The stored entries among `keys`."""
        if self._db is None or not keys:
            return {}
        try:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (key TEXT PRIMARY KEY)")
            self._db.execute("DELETE FROM wanted")
            self._db.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", ((k,) for k in keys))
            rows = self._db.execute(f"SELECT t.* FROM {self._table} t JOIN wanted USING (key)")
            return {key: bytes(value) for key, value in rows}
        except sqlite3.Error:
            return {}

    def put(self, entries: Iterable[tuple[str, bytes]]) -> None:
        """Store `entries`, (key, value) pairs taken one at a time (replacing any under the same
        keys)."""
        if self._db is None:
            return
        try:
            with self._db:
                self._db.executemany(f"INSERT OR REPLACE INTO {self._table} VALUES (?, ?)", entries)
        except sqlite3.Error:
            pass

    def prune(self, used: Iterable[str]) -> None:
        """Drop every entry whose key is not among `used` (so the file stays one site's size)."""
        if self._db is None:
            return
        try:
            with self._db:
                self._db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
                self._db.execute("DELETE FROM used")
                self._db.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in used))
                self._db.execute(
                    f"DELETE FROM {self._table} WHERE key NOT IN (SELECT key FROM used)"
                )
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
