"""Validated post-mortem files kept across builds by content hash, as JSON in the cache folder.

A file is found again by the hash of its text, its path and display path, the settings that
validate it (regulations, lint, follow-up) and everything else the outcome depends on: the
versions of PyYAML and pydantic and the source of the core. So an entry is exactly what loading
the file again would give, or is never looked up. Entries are JSON, never pickle: a cache restored
in CI is data, not code. A model is stored as its JSON and validated again when read (pydantic's
JSON validation, a fraction of reading, parsing, validating and linting the file).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .followup import FollowUp
from .lint import LintConfig
from .loader import Document
from .problems import Level, Problem
from .regulations import RegulationRegistry
from .schema import PostMortem
from .store import Store, identity_of, sources_digest, versions

CACHE_FILE = "files.sqlite"
"""The cache's one file in the cache folder."""
SCHEMA = 1
"""Bumped when the stored form changes."""
LIBRARIES = ("pyyaml", "pydantic", "pydantic-core", "postmortem-kb")
"""Libraries whose version changes what loading a file gives."""


@dataclasses.dataclass(frozen=True)
class Checked:
    """What loading one file gives: its document as the corpus keeps it (None when it could not
    be read or split), its model (None when invalid), its problems, and the `id` the front
    matter of an invalid file gives, when that is text."""

    document: Document | None
    model: PostMortem | None
    problems: list[Problem]
    raw_id: str | None = None


CORE = Path(__file__).parent
"""The core package: its rules decide what loading a file gives."""


def identity(registry: RegulationRegistry, lint: LintConfig, follow_up: FollowUp) -> str:
    """What every file's outcome depends on besides the file itself."""
    settings = [dataclasses.asdict(x) for x in (registry, lint, follow_up)]
    libyaml = bool(getattr(yaml, "__with_libyaml__", False))
    return identity_of(
        SCHEMA, settings, versions(LIBRARIES), libyaml, sources_digest(sorted(CORE.rglob("*.py")))
    )


def file_key(identity: str, path: Path, display_path: str, text: str) -> str:
    """The hash one file's outcome is cached under."""
    digest = hashlib.sha256(identity.encode())
    digest.update(json.dumps([str(path), display_path]).encode())
    digest.update(text.encode())
    return digest.hexdigest()


def encode(checked: Checked) -> bytes:
    document = checked.document
    data: dict[str, Any] = {
        "model": None
        if checked.model is None
        else checked.model.model_dump_json(exclude_unset=True),
        "document": None
        if document is None
        else {
            "body": document.body,
            "body_line": document.body_line,
            "lines": [[list(loc), line] for loc, line in document.lines.items()],
        },
        "problems": [
            [p.path, p.line, p.field, p.message, p.level.value, p.rule] for p in checked.problems
        ],
        "raw_id": checked.raw_id,
    }
    return zlib.compress(json.dumps(data, ensure_ascii=False).encode(), 1)


def decode(blob: bytes, path: Path, display_path: str, registry: RegulationRegistry) -> Checked:
    """The outcome stored in `blob` for the file at `path`; ValueError when it is damaged."""
    try:
        data = json.loads(zlib.decompress(blob))
        stored = data["document"]
        document = None
        if stored is not None:
            lines = {tuple(loc): line for loc, line in stored["lines"]}
            document = Document(path, display_path, {}, stored["body"], stored["body_line"], lines)
        model = None
        if data["model"] is not None:
            context = {"regulations": registry}
            model = PostMortem.model_validate_json(data["model"], context=context)
        problems = [
            Problem(where, line, field, message, Level(level), rule)
            for where, line, field, message, level, rule in data["problems"]
        ]
        return Checked(document, model, problems, data["raw_id"])
    except (ValueError, KeyError, TypeError, zlib.error, ValidationError) as exc:
        raise ValueError(f"damaged cache entry: {exc}") from None


class FileCache:
    """The validated files of earlier builds in `folder` (None: no cache, nothing is kept)."""

    def __init__(self, folder: Path | None, registry: RegulationRegistry, identity: str) -> None:
        """`identity`: `identity(...)` of the settings the files are validated with."""
        self._store = Store(None if folder is None else folder / CACHE_FILE, "files")
        self.registry = registry
        self.identity = identity

    def key(self, path: Path, display_path: str, text: str) -> str:
        return file_key(self.identity, path, display_path, text)

    def get(self, wanted: dict[str, tuple[Path, str]]) -> dict[str, Checked]:
        """The stored outcomes among `wanted` (key -> (path, display path)); a damaged entry
        is left out, so its file is loaded again."""
        found: dict[str, Checked] = {}
        for key, blob in self._store.get(list(wanted)).items():
            path, display = wanted[key]
            try:
                found[key] = decode(blob, path, display, self.registry)
            except ValueError:
                continue
        return found

    def put(self, outcomes: dict[str, Checked]) -> None:
        """Store `outcomes` by key."""
        if self._store.enabled:
            self._store.put((key, encode(checked)) for key, checked in outcomes.items())

    def prune(self, used: list[str]) -> None:
        """Drop every entry not among `used` (the keys of this build's files)."""
        self._store.prune(used)

    def close(self) -> None:
        self._store.close()
