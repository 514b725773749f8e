"""Loading a folder of post-mortems into validated incidents plus every problem found."""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .collector import collector_paused
from .file_cache import Checked, FileCache, identity
from .followup import FollowUp
from .links import BodyLink, link_problems, markdown_links
from .lint import LintConfig, with_lint
from .loader import Document, LoadError, display_path, parse_document, read_text
from .metrics import IncidentMetrics, incident_metrics
from .problems import Level, Problem
from .processes import start_pool, worker_count
from .regulations import RegulationRegistry
from .schema import PostMortem, Status, id_key
from .validation import corpus_problems, validate_document


@dataclass(frozen=True)
class Incident:
    """A valid post-mortem: its source document, its front matter and its derived metrics."""

    document: Document
    model: PostMortem
    metrics: IncidentMetrics
    # Plain attributes rather than properties: page generation reads them in its inner loops.
    # Derived from `model`, so left out of init, repr and equality.
    id: str = field(init=False, repr=False, compare=False)
    """The post-mortem's id."""
    key: str = field(init=False, repr=False, compare=False)
    """The id as incidents are looked up by it (`id_key`: case-insensitive)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", self.model.id)
        object.__setattr__(self, "key", id_key(self.model.id))


@dataclass(frozen=True)
class Unbuilt:
    """A post-mortem file that gives no incident: invalid, or dropped for a duplicate id."""

    path: str
    """Its display path."""
    id: str | None
    """The `id` its front matter gives, when it gives one as text."""


@dataclass
class Corpus:
    """The outcome of loading a folder: valid incidents (sorted by start) and all problems."""

    incidents: list[Incident]
    problems: list[Problem]
    files: list[str] = field(default_factory=list)
    """Display paths of every post-mortem file found, valid or not."""
    unbuilt: list[Unbuilt] = field(default_factory=list)
    """The files among `files` that give no incident, in path order."""

    @property
    def errors(self) -> list[Problem]:
        """Problems that make the corpus invalid (a strict build fails on them)."""
        return [p for p in self.problems if p.level is Level.ERROR]

    def by_id(self) -> dict[str, Incident]:
        """Incidents by `id_key` of their id (look one up with `by_id()[id_key(some_id)]`)."""
        return {incident.key: incident for incident in self.incidents}


CHUNK = 500
"""Files read, then looked up in the file cache, per round (bounds the text held at once)."""
PARALLEL_FROM = 100
"""Files to parse in one round from which they are parsed in worker processes."""
_Todo = tuple[Path, str, str]
"""A file to parse: its path, display path and text."""
_CHECKER: tuple[RegulationRegistry, LintConfig, FollowUp] | None = None
"""A worker process's settings (`_start_worker`)."""


def _start_worker(settings: tuple[RegulationRegistry, LintConfig, FollowUp]) -> None:
    global _CHECKER
    _CHECKER = settings


def _check_many(todo: list[_Todo]) -> list[Checked]:
    """Parse, validate and lint files in a worker process."""
    assert _CHECKER is not None
    return [check(path, display, text, *_CHECKER) for path, display, text in todo]


def check(
    path: Path,
    display: str,
    text: str,
    registry: RegulationRegistry,
    lint: LintConfig,
    follow_up: FollowUp,
) -> Checked:
    """Parse, validate and lint one file's text."""
    try:
        document = parse_document(text, path, display)
    except LoadError as exc:
        return Checked(None, None, exc.problems, exc.declared_id)
    model, problems = validate_document(document, registry, follow_up)
    problems = with_lint(document, model, problems, lint)
    raw_id = document.data.get("id") if model is None else None
    return Checked(_kept(document), model, problems, raw_id if isinstance(raw_id, str) else None)


class _Parser:
    """Parses files in this process, or, for a round of at least PARALLEL_FROM files when the
    loader may use several workers (and from the main thread, where starting them is safe), in
    a pool of worker processes started on first use. The results are the same either way."""

    def __init__(self, loader: CorpusLoader, files: int) -> None:
        self._settings = (loader.registry, loader.lint, loader.follow_up)
        count = worker_count() if loader.workers is None else loader.workers
        self._count = min(count, max(1, files // PARALLEL_FROM))
        self._pool: ProcessPoolExecutor | None = None
        self._files = files

    def start(self, todo: list[_Todo]) -> Callable[[], list[Checked]]:
        """Start parsing `todo`; what is returned gives the results, waiting for them. A round
        started before the last one's results are taken keeps the workers busy meanwhile."""
        here = threading.current_thread() is threading.main_thread()
        if self._count <= 1 or len(todo) < PARALLEL_FROM or not here:
            return lambda: self._here(todo)
        if self._pool is None:
            self._pool = start_pool(self._count, self._files, _start_worker, (self._settings,))
            if self._pool is None:
                self._count = 1
                return lambda: self._here(todo)
        step = max(1, len(todo) // (self._count * 4))
        parts = [todo[i : i + step] for i in range(0, len(todo), step)]
        try:
            futures = [self._pool.submit(_check_many, part) for part in parts]
        except BrokenProcessPool:
            return lambda: self._without_workers(todo)

        def results() -> list[Checked]:
            try:
                return [checked for future in futures for checked in future.result()]
            except BrokenProcessPool:
                return self._without_workers(todo)

        return results

    def _here(self, todo: list[_Todo]) -> list[Checked]:
        return [check(*item, *self._settings) for item in todo]

    def _without_workers(self, todo: list[_Todo]) -> list[Checked]:
        """A worker died: parse here, as without workers, from now on."""
        self.close()
        self._count = 1
        return self._here(todo)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


_Source = TypeVar("_Source")
_Value = TypeVar("_Value")


def _reused(
    last: dict[Path, tuple[_Source, _Value]],
    now: dict[Path, tuple[_Source, _Value]],
    path: Path,
    source: _Source,
    compute: Callable[[_Source], _Value],
) -> _Value:
    """`compute(source)`, or the last load's value for `path` while its source is the very same
    object (a file unchanged since the last load); recorded in `now` for the next load."""
    kept = last.get(path)
    value = kept[1] if kept is not None and kept[0] is source else compute(source)
    now[path] = (source, value)
    return value


class CorpusLoader:
    """Loads a folder of post-mortems. A file whose mtime and size are unchanged since the last
    `load` is not read again; with a `cache_dir`, a file read before, by any build, is found by
    content hash (file_cache.py) instead of parsed and validated again."""

    def __init__(
        self,
        registry: RegulationRegistry | None = None,
        lint: LintConfig | None = None,
        follow_up: FollowUp | None = None,
        cache_dir: Path | None = None,
        workers: int | None = 1,
    ) -> None:
        """`workers`: processes that parse files (None: one per core; 1: this one)."""
        self.registry = registry or RegulationRegistry()
        self.lint = lint or LintConfig()
        self.follow_up = follow_up or FollowUp()
        self.cache_dir = cache_dir
        self.workers = workers
        self._identity = ""
        """What every file-cache entry depends on besides its file (read once: the core's code)."""
        if cache_dir is not None:
            self._identity = identity(self.registry, self.lint, self.follow_up)
        self._cache: dict[Path, tuple[tuple[int, int], str | None, Checked]] = {}
        """Each file of the last load: its mtime and size, its file-cache key (None when it
        could not be read) and what it gave."""
        self._metrics: dict[Path, tuple[PostMortem, IncidentMetrics]] = {}
        """Each valid file's model and its metrics, from the last load."""
        self._links: dict[Path, tuple[str, list[BodyLink]]] = {}
        """Each valid file's body and its links to post-mortem files, from the last load."""
        self.files_parsed = 0
        """How many files the last `load` parsed and validated."""
        self.files_cached = 0
        """How many files the last `load` found in the file cache (by content hash)."""

    def load(self, directory: Path, display_root: Path | None = None) -> Corpus:
        """Load every `*.md` file under `directory` (recursively, in path order)."""
        return self.load_files(discover(directory), display_root or directory, directory)

    def load_files(
        self, paths: list[Path], display_root: Path, within: Path | None = None
    ) -> Corpus:
        """Load the given files as one corpus (cross-file rules run across exactly these).

        Files below `within` (the post-mortems folder) must stay inside it (loader.refusal).
        """
        paths = sorted(paths)
        self.files_parsed = self.files_cached = 0
        results: list[Checked] = []
        cache = FileCache(self.cache_dir, self.registry, self._identity)
        parse = _Parser(self, len(paths))
        used: list[str] = []
        try:
            with collector_paused(age_survivors=True):
                # Each round is read while the workers parse the one before.
                last: _Round | None = None
                for start in range(0, len(paths), CHUNK):
                    chunk = paths[start : start + CHUNK]
                    round_ = self._start_round(chunk, display_root, within, cache, used, parse)
                    if last is not None:
                        results.extend(self._end_round(last, cache))
                    last = round_
                if last is not None:
                    results.extend(self._end_round(last, cache))
            cache.prune(used)
        finally:
            parse.close()
            cache.close()
        wanted = set(paths)  # one set: pruning the cache stays linear
        self._cache = {p: r for p, r in self._cache.items() if p in wanted}

        displays = [display_path(p, display_root) for p in paths]
        problems = [p for r in results for p in r.problems]
        valid = [r for r in results if r.model is not None and r.document is not None]
        metrics, self._metrics = self._metrics, {}
        records = []
        for r in valid:
            assert r.document is not None and r.model is not None
            model = r.model
            found = _reused(metrics, self._metrics, r.document.path, model, incident_metrics)
            records.append(Incident(r.document, model, found))
        invalid = {
            id_key(r.raw_id): display
            for display, r in zip(displays, results, strict=True)
            if r.model is None and r.raw_id is not None
        }
        cross, dropped = corpus_problems(records, invalid)
        problems.extend(cross)
        incidents = [rec for i, rec in enumerate(records) if i not in dropped]
        with_page = {os.path.normpath(rec.document.path): rec for rec in incidents}
        documents = [i.document for i in incidents]
        links, self._links = self._links, {}

        def links_of(body: str, path: Path) -> list[BodyLink]:
            """A body's links, found again only when its text is not the last load's."""
            return _reused(links, self._links, path, body, lambda b: list(markdown_links(b, path)))

        problems.extend(
            link_problems(
                [(d.path, d.display_path, d.body, d.body_line) for d in documents],
                with_page,
                paths,
                links_of,
            )
        )
        incidents.sort(key=lambda inc: (inc.model.started, inc.id))
        problems.sort(key=lambda p: (p.path, p.line, p.field))
        dropped_ids = {records[i].document.display_path: records[i].id for i in dropped}
        unbuilt = [
            Unbuilt(display, r.raw_id if r.model is None else dropped_ids[display])
            for display, r in zip(displays, results, strict=True)
            if r.model is None or display in dropped_ids
        ]
        return Corpus(incidents, problems, displays, unbuilt)

    def _start_round(
        self,
        paths: list[Path],
        display_root: Path,
        within: Path | None,
        cache: FileCache,
        used: list[str],
        parse: _Parser,
    ) -> _Round:
        """Read `paths`: unchanged since the last load, or in the file cache, or to be parsed
        (started here, taken by `_end_round`)."""
        round_ = _Round(paths)
        texts: dict[str, tuple[Path, str, str]] = {}
        """Cache key -> (path, display path, text) of each file read."""
        for path in paths:
            try:
                stat = path.lstat()
                round_.stamps[path] = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                round_.stamps[path] = (0, 0)
            kept = self._cache.get(path)
            if kept is not None and kept[0] == round_.stamps[path]:
                round_.keys[path], round_.results[path] = kept[1], kept[2]
                continue
            display = display_path(path, display_root)
            try:
                text = read_text(path, display, within)
            except LoadError as exc:
                round_.keys[path] = None
                round_.results[path] = Checked(None, None, exc.problems, exc.declared_id)
                continue
            key = round_.keys[path] = cache.key(path, display, text)
            texts[key] = (path, display, text)
        used.extend(key for key in round_.keys.values() if key is not None)
        found = cache.get({key: (path, display) for key, (path, display, _) in texts.items()})
        self.files_cached += len(found)
        for key, checked in found.items():
            round_.results[texts[key][0]] = checked
        round_.missing = {key: texts[key][0] for key in texts if key not in found}
        round_.parsed = parse.start([texts[key] for key in round_.missing])
        return round_

    def _end_round(self, round_: _Round, cache: FileCache) -> list[Checked]:
        """The outcome of each file of a round, in its order, once its parsing is done."""
        parsed = dict(zip(round_.missing, round_.parsed(), strict=True))
        for key, path in round_.missing.items():
            round_.results[path] = parsed[key]
        self.files_parsed += len(parsed)
        cache.put(parsed)
        for path in round_.paths:
            self._cache[path] = (round_.stamps[path], round_.keys[path], round_.results[path])
        return [round_.results[path] for path in round_.paths]


@dataclass
class _Round:
    """One round of files being loaded (`CorpusLoader._start_round`)."""

    paths: list[Path]
    results: dict[Path, Checked] = field(default_factory=dict)
    stamps: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, str | None] = field(default_factory=dict)
    missing: dict[str, Path] = field(default_factory=dict)
    """Cache key -> path of each file being parsed."""
    parsed: Callable[[], list[Checked]] = list
    """The parsed outcomes of `missing`, in its order (waits for them)."""


CROSS_FILE_FIELDS = frozenset({"id", "related", "recurrence_of"})
"""The fields whose lines the cross-file rules report after a file is loaded."""


def _kept(document: Document) -> Document:
    """The document as the corpus keeps it, without what only validation needs.

    The line of every key is kept only for the fields the cross-file rules report, and the raw
    front matter (`data`) is dropped: the model holds it, validated. This keeps the memory of
    a loaded corpus to what the pages need.
    """
    lines = {loc: line for loc, line in document.lines.items() if loc[0] in CROSS_FILE_FIELDS}
    return dataclasses.replace(document, lines=lines, data={})


def discover(directory: Path, recursive: bool = True) -> list[Path]:
    """Every Markdown file below `directory` (or, not `recursive`, only in it), skipping hidden
    folders and files like README.md.

    Linked folders are not entered; linked files are listed, and refused when loaded.
    """
    found: list[Path] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_"))) if recursive else []
        found.extend(Path(root) / d for d in dirs if os.path.islink(os.path.join(root, d)))
        for name in files:
            if name.endswith(".md") and not name.startswith((".", "_")) and name != "README.md":
                found.append(Path(root) / name)
    return found


def without_drafts(corpus: Corpus) -> Corpus:
    """The corpus a published build shows: every incident except those with `status: draft`."""
    incidents = [i for i in corpus.incidents if i.model.status is not Status.DRAFT]
    return Corpus(incidents, corpus.problems, corpus.files, corpus.unbuilt)


def load_corpus(directory: Path, registry: RegulationRegistry | None = None) -> Corpus:
    """Load a folder once, without caching (convenience for scripts and tests)."""
    return CorpusLoader(registry).load(directory, directory.parent)
