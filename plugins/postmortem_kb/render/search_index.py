"""The site's search index: an inverted index sharded by term prefix, facets and one small file
per incident, written as static JSON files that assets/search.js fetches only when someone searches.

Layout (every path from paths.py; `<dir>` is SEARCH_DIR):

- `<dir>/meta.json`: format version, incident count, stop words, the shard of each term prefix,
  and each facet's values with their counts (a few KB).
- `<dir>/t/<n>.json`: one shard: `{term: [doc, weight, doc, weight, ...]}`, doc numbers
  delta-encoded. Terms are lunr's Porter stems of the words (stop words left out), pairs of
  adjacent stems (`"budget back"`) of the short fields, so phrases rank, `#<id>` for the
  normalised incident id, `@<service>` for each service the incident ran on and `=<stems>` for
  the whole title. A shard holds every term that starts with its prefix; a prefix whose terms
  weigh more than SHARD_BYTES is split by its next character.
- `<dir>/f/<facet>.json`: `{value: [doc, ...]}` (delta-encoded), fetched when a filter is set.
- `<dir>/d/<doc>.json`: one incident: id, title, URL, facet values, summary and its sections'
  text, fetched for the results shown (snippets) and never for ranking.

Doc numbers are incidents newest first, so a list of doc numbers is in the explorer's order.
"""

from __future__ import annotations

import re
from array import array
from collections import defaultdict, deque
from collections.abc import Iterator, Mapping, Sequence, Sized
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from itertools import pairwise
from pathlib import Path
from typing import Any

from lunr.stemmer import porter_stemmer
from lunr.stop_word_filter import WORDS as STOP_WORDS

from ..core.analytics import incident_quarter
from ..core.corpus import Corpus, Incident, without_drafts
from ..core.metrics import ActionState, action_state
from ..core.processes import FRESH_WORKERS_FROM, start_pool
from ..core.sections import SECTIONS, split_body
from ..core.settings import Settings
from .pages import GeneratedPage, asset_text
from .paths import NO_OWNER, SEARCH_SCRIPT, SitePaths
from .safejson import dumps

FORMAT = 1
SHARD_BYTES = 48_000
"""A shard's target size: a prefix whose terms weigh more is split by its next character."""

WEIGHTS = {
    "title": 10,
    "services": 8,
    "summary": 4,
    "lessons": 4,
    "root_cause": 3,
    "actions": 3,
    "whys": 2,
    "went": 2,
    "people": 2,
    "body": 1,
}
"""How much a word counts in each field; an id match counts ID_WEIGHT."""
ID_WEIGHT = 10_000
SERVICE_WEIGHT = 50
TITLE_WEIGHT = 1_000
"""A whole title typed (`=<its stems>`): among similar titles, the one typed comes first."""
"""A service's whole name (`@checkout-api`): incidents on it outrank those that mention it."""
PHRASE_FIELDS = frozenset({"title", "services", "summary", "lessons", "root_cause", "actions"})
"""Fields whose adjacent stems are indexed as pairs too (phrase queries rank on them)."""
MAX_COUNT = 3
"""Occurrences of a term in one field that count (a repeated word does not outrank a title)."""
NOT_INDEXED = frozenset({"timeline"})
"""Body sections left out: the timeline (timestamps and event lines, which match everything)."""
FACETS = ("severity", "category", "regulation", "service", "quarter", "status", "owner", "overdue")

_WORD = re.compile(r"[^\W_]+")
_MARKUP = re.compile(r"<[^>]*>|!?\[([^\]]*)\]\([^)]*\)|[*_`#>|]+|^\s*[-+]\s+", re.MULTILINE)
_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")
_SPACE = re.compile(r"\s+")
_STOP = frozenset(STOP_WORDS)


def normal_id(incident_id: str) -> str:
    """An id as search compares it: lower case, no leading zeros in its numbers
    (`INC-2025-007` and `inc-2025-7` are one)."""
    return _ZEROS.sub("", incident_id.lower())


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """lunr's Porter stem of a lower-case word (assets/search.js has the same stemmer)."""
    return str(porter_stemmer.stem(word))


def terms(text: str) -> list[str]:
    """The stems of a text's words, stop words left out (what search.js does to a query)."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP]


def plain(markdown: str) -> str:
    """Markdown as the words a reader sees: links' text kept, markup and tags dropped."""
    return _SPACE.sub(" ", _MARKUP.sub(lambda m: m.group(1) or " ", markdown)).strip()


def _fields(incident: Incident) -> list[tuple[str, str]]:
    """(field, text) pairs of the front matter's indexed fields (the body's sections follow them,
    as `body`, in `entry_of`)."""
    pm = incident.model
    out = [("title", pm.title), ("services", " ".join(pm.services)), ("summary", pm.summary)]
    out += [("lessons", lesson) for lesson in pm.lessons_learned]
    if pm.root_cause is not None:
        out.append(("root_cause", f"{pm.root_cause.summary} {pm.root_cause.category.value}"))
    out += [("actions", f"{a.action} {a.owner or ''}") for a in pm.action_items]
    out += [("whys", f"{w.question} {w.answer}") for w in pm.whys]
    out += [("went", text) for text in (*pm.went_well, *pm.went_wrong, *pm.lucky)]
    out.append(("people", " ".join(pm.authors)))
    return out


def _sections(body: str) -> list[tuple[str, str]]:
    """(heading, plain text) of the body's sections that are indexed, in the body's order."""
    split = split_body(body)
    narrative = split.narrative.items()
    found = [(SECTIONS[key], text) for key, text in narrative if key not in NOT_INDEXED]
    found += split.extra
    return [(heading, plain(text)) for heading, text in found if text.strip()]


def _facets(incident: Incident, settings: Settings) -> dict[str, list[str]]:
    pm = incident.model
    overdue = any(
        action_state(a, settings.reference_date) is ActionState.OVERDUE for a in pm.action_items
    )
    return {
        "severity": [pm.severity.value],
        "category": [pm.root_cause.category.value] if pm.root_cause else [],
        "regulation": list(pm.regulations),
        "service": list(pm.services),
        "quarter": [incident_quarter(incident).label],
        "status": [pm.status.value],
        "owner": sorted({a.owner or NO_OWNER for a in pm.action_items}),
        "overdue": ["yes" if overdue else "no"],
    }


def _deltas(numbers: list[int]) -> list[int]:
    return [n - p for n, p in zip(numbers, [0, *numbers[:-1]], strict=True)]


def _postings(pairs: Sequence[int]) -> list[int]:
    """[doc, weight, ...] in doc order as [doc delta, weight, ...]."""
    flat = list(pairs)
    for i in range(len(flat) - 2, 0, -2):
        flat[i] -= flat[i - 2]
    return flat


def _shards(index: Mapping[str, Sized]) -> list[tuple[str, list[str]]]:
    """Terms grouped by prefix: 2 characters, more where a group is over SHARD_BYTES (an index
    entry's size is its number of postings)."""
    out: list[tuple[str, list[str]]] = []

    def split(prefix: str, group: list[str]) -> None:
        size = sum(len(t) + 4 + 5 * len(index[t]) for t in group)
        longer = [t for t in group if len(t) > len(prefix)]
        if size <= SHARD_BYTES or not longer:
            out.append((prefix, group))
            return
        short = [t for t in group if len(t) == len(prefix)]
        if short:
            out.append((prefix, short))
        by_next: dict[str, list[str]] = defaultdict(list)
        for term in longer:
            by_next[term[: len(prefix) + 1]].append(term)
        for key in sorted(by_next):
            split(key, by_next[key])

    groups: dict[str, list[str]] = defaultdict(list)
    for term in sorted(index):
        groups[term[:2]].append(term)
    for prefix in sorted(groups):
        split(prefix, groups[prefix])
    return out


@dataclass
class SearchMemo:
    """A preview's previous search index (`mkdocs serve` keeps one across rebuilds): each
    incident's terms, facet values and result entry, reused while its front matter, body, URL
    and the reference date are equal; the postings and shards, patched where only some
    incidents' terms changed and the incidents' order did not; and what each file held, so
    unchanged files are not written again."""

    entries: dict[str, tuple[tuple[object, ...], _Entry]] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    """The incidents' keys in doc order, when `index` and `shards` are those of that order."""
    index: dict[str, array[int]] = field(default_factory=dict)
    shards: list[tuple[str, list[str], str]] = field(default_factory=list)
    """Each shard's prefix, terms and JSON text."""


_Entry = tuple[dict[str, int], dict[str, list[str]], str]
"""One incident's term weights, facet values and result entry (JSON)."""


def write_search_index(
    corpus: Corpus, settings: Settings, site_dir: Path, memo: SearchMemo | None = None
) -> None:
    """Write every file of the search index into the built site at `site_dir` (with `memo`,
    only the files whose content changed since the previous build)."""
    written: dict[str, int] = {}
    for path, text in search_index_files(corpus, settings, memo):
        digest = written[path] = hash(text)
        if memo is not None and memo.written.get(path) == digest and (site_dir / path).is_file():
            continue
        _write(site_dir, path, text)
    if memo is not None:
        memo.written = written


@dataclass(frozen=True)
class EntrySource:
    """One incident as its index entry is made from it: text and values, no model, so that a
    worker process can make the entry (`entry_of`) from what it is sent."""

    id: str
    title: str
    services: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]
    """(field, text) of the front matter's indexed fields."""
    body: str
    facets: dict[str, list[str]]
    result: dict[str, Any]
    """The result entry, without the body's sections (`entry_of` adds them)."""


def entry_source(incident: Incident, settings: Settings, url: str) -> EntrySource:
    """What `entry_of` makes one incident's entry from (reading its model takes this process
    little time; stemming and counting its words is the work)."""
    pm = incident.model
    values = _facets(incident, settings)
    result = {
        "id": pm.id,
        "title": pm.title,
        "url": url,
        "facets": values,
        "summary": pm.summary,
        "sections": [
            *(["Lessons learned", lesson] for lesson in pm.lessons_learned),
            *([["Root cause", pm.root_cause.summary]] if pm.root_cause is not None else []),
            *(["Action items", f"{a.id} {a.action}"] for a in pm.action_items),
        ],
    }
    return EntrySource(
        pm.id,
        pm.title,
        tuple(pm.services),
        tuple(_fields(incident)),
        incident.document.body,
        values,
        result,
    )


def entry_of(source: EntrySource) -> _Entry:
    """What the index holds of one incident: its term weights, facet values and result entry."""
    weights: dict[str, int] = defaultdict(int)
    sections = _sections(source.body)
    for field_name, text in (*source.fields, *(("body", text) for _, text in sections)):
        weight = WEIGHTS[field_name]
        stems = terms(text)
        counts: dict[str, int] = defaultdict(int)
        for term in stems:
            counts[term] += 1
        if field_name in PHRASE_FIELDS:
            for pair in pairwise(stems):
                counts[" ".join(pair)] += 1
        for term, count in counts.items():
            weights[term] += weight * min(count, MAX_COUNT)
    weights["#" + normal_id(source.id)] += ID_WEIGHT
    for service in source.services:
        weights["@" + service] += SERVICE_WEIGHT
    weights["=" + " ".join(terms(source.title))] += TITLE_WEIGHT
    result = {**source.result, "sections": [*source.result["sections"], *map(list, sections)]}
    return dict(weights), source.facets, dumps(result)


def _entry(incident: Incident, settings: Settings, url: str) -> _Entry:
    """One incident's entry (`entry_of`), made in this process."""
    return entry_of(entry_source(incident, settings, url))


def _patch(
    index: dict[str, array[int]], doc: int, old: Mapping[str, int], new: Mapping[str, int]
) -> set[str]:
    """Give one incident (`doc`) its new term weights in `index`, in place; the terms whose
    postings changed."""
    changed = {term for term in old.keys() | new.keys() if old.get(term) != new.get(term)}
    for term in changed:
        postings = index.get(term, array("l"))
        pairs = [(d, w) for d, w in zip(postings[::2], postings[1::2], strict=True) if d != doc]
        if term in new:
            pairs.append((doc, new[term]))
            pairs.sort()
        if pairs:
            index[term] = array("l", [n for pair in pairs for n in pair])
        else:
            index.pop(term, None)
    return changed


def _in_doc_order(corpus: Corpus, settings: Settings) -> tuple[list[Incident], list[str]]:
    """The incidents the index holds, in doc order (newest first), and each one's page URL."""
    if not settings.include_drafts:
        corpus = without_drafts(corpus)
    paths = SitePaths(settings, corpus)
    incidents = sorted(corpus.incidents, key=lambda i: (i.model.started, i.id), reverse=True)
    return incidents, [paths.dest(paths.incident(incident)) for incident in incidents]


def _new_facets() -> dict[str, dict[str, list[int]]]:
    return {name: defaultdict(list) for name in FACETS}


def _add_facets(facets: dict[str, dict[str, list[int]]], doc: int, entry: _Entry) -> None:
    for name, found in entry[1].items():
        for value in found:
            facets[name][value].append(doc)


def _add_terms(index: dict[str, array[int]], doc: int, entry: _Entry) -> None:
    for term, weight in entry[0].items():
        index.setdefault(term, array("l")).extend((doc, weight))


def search_index_files(
    corpus: Corpus, settings: Settings, memo: SearchMemo | None = None
) -> Iterator[tuple[str, str]]:
    """Every file of the search index as (site path, JSON text); `memo` reuses the entries of
    incidents unchanged since the previous build."""
    incidents, urls = _in_doc_order(corpus, settings)
    order = [incident.key for incident in incidents]
    patching = memo is not None and memo.order == order
    index: dict[str, array[int]] = memo.index if memo is not None and patching else {}
    """term -> [doc, weight, doc, weight, ...], docs ascending (a compact array per term)."""
    old_shards = {s[0]: s for s in memo.shards} if memo is not None and patching else {}
    """The previous build's shards by prefix (a split shard renumbers every shard after it)."""
    if memo is not None:  # until this build's index is complete
        memo.order, memo.index, memo.shards = [], {}, []
    facets = _new_facets()
    previous = memo.entries if memo is not None else {}
    entries: dict[str, tuple[tuple[object, ...], _Entry]] = {}
    changed: set[str] = set()
    for doc, (incident, url) in enumerate(zip(incidents, urls, strict=True)):
        inputs = (incident.model, incident.document.body, url, settings.reference_date)
        kept = previous.get(incident.key)
        entry = kept[1] if kept is not None and kept[0] == inputs else None
        if entry is None:
            entry = _entry(incident, settings, url)
        if memo is not None:  # a build keeps no incident's terms once they are in the index
            entries[incident.key] = (inputs, entry)
        if not patching:
            _add_terms(index, doc, entry)
        elif kept is None or kept[1] is not entry:
            changed |= _patch(index, doc, {} if kept is None else kept[1][0], entry[0])
        _add_facets(facets, doc, entry)
        yield SitePaths.search_doc(doc), entry[2]
    if memo is not None:
        memo.entries = entries
    shards: list[tuple[str, list[str], str]] = []
    yield from _index_files(index, facets, len(incidents), shards, old_shards, changed)
    if memo is not None:
        memo.order, memo.index, memo.shards = order, index, shards


def _index_files(
    index: dict[str, array[int]],
    facets: dict[str, dict[str, list[int]]],
    count: int,
    shards: list[tuple[str, list[str], str]],
    old_shards: Mapping[str, tuple[str, list[str], str]],
    changed: set[str],
) -> Iterator[tuple[str, str]]:
    """The index's files besides the incidents' own: its shards (each shard's prefix, terms and
    text also appended to `shards`; an unchanged one of `old_shards` reused), facets and meta."""
    shard_of: dict[str, int] = {}
    for number, (prefix, shard) in enumerate(_shards(index)):
        shard_of[prefix] = number
        old = old_shards.get(prefix)
        if old is not None and old[1] == shard and changed.isdisjoint(shard):
            text = old[2]
        else:
            text = dumps({term: _postings(index[term]) for term in shard})
        shards.append((prefix, shard, text))
        yield SitePaths.search_shard(number), text
    facet_values: dict[str, list[list[Any]]] = {}
    for name in FACETS:
        lists = facets[name]
        facet_values[name] = [[value, len(lists[value])] for value in sorted(lists)]
        yield (
            SitePaths.search_facet(name),
            dumps({value: _deltas(docs) for value, docs in lists.items()}),
        )
    meta = {
        "version": FORMAT,
        "count": count,
        "stop": sorted(_STOP),
        "shards": shard_of,
        "facets": facet_values,
    }
    yield SitePaths.SEARCH_META, dumps(meta)


# --- made apart: the index of a build, in a worker process ---------------------------------------


_PART = 200
"""Incidents sent to the worker at a time."""
_AHEAD = 2
"""Parts sent and not yet taken in by the worker (what this process holds of them is bounded)."""


def write_search_index_apart(corpus: Corpus, settings: Settings, site_dir: Path) -> None:
    """`write_search_index` for a build, its work done in a worker process: that process gets
    each incident as text (`EntrySource`), a few hundred at a time, makes its entry, adds it to
    its index and writes all the files. This thread only reads the incidents' models, so the
    build's own thread (MkDocs' theme) is not slowed by it, and the worker holds no copy of the
    build's memory. Under FRESH_WORKERS_FROM incidents, or when the worker cannot start or
    dies, the index is made in this thread; the files are the same either way."""
    incidents, urls = _in_doc_order(corpus, settings)
    pool = None
    if len(incidents) >= FRESH_WORKERS_FROM:
        folder = str(site_dir.resolve())
        pool = start_pool(1, len(incidents), _start_apart, (folder,), fork=False)
    if pool is None:
        write_search_index(corpus, settings, site_dir)
        return
    try:
        pending: deque[Future[None]] = deque()
        for start in range(0, len(incidents), _PART):
            part = zip(incidents[start : start + _PART], urls[start : start + _PART], strict=True)
            sources = [entry_source(incident, settings, url) for incident, url in part]
            pending.append(pool.submit(_add_apart, sources))
            while len(pending) > _AHEAD:
                pending.popleft().result()
        pending.append(pool.submit(_end_apart))
        while pending:
            pending.popleft().result()
    except BrokenProcessPool:  # the worker died (its files may be half written): all again here
        write_search_index(corpus, settings, site_dir)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class _Apart:
    """The index a worker process makes of the incidents it is sent, in the order sent."""

    site_dir: Path
    index: dict[str, array[int]] = field(default_factory=dict)
    facets: dict[str, dict[str, list[int]]] = field(default_factory=_new_facets)
    count: int = 0


_APART: list[_Apart] = []
"""The worker's index (one), from `_start_apart` on."""


def _start_apart(site_dir: str) -> None:
    _APART[:] = [_Apart(Path(site_dir))]


def _add_apart(sources: list[EntrySource]) -> None:
    apart = _APART[0]
    for source in sources:
        doc, entry = apart.count, entry_of(source)
        apart.count += 1
        _add_terms(apart.index, doc, entry)
        _add_facets(apart.facets, doc, entry)
        _write(apart.site_dir, SitePaths.search_doc(doc), entry[2])


def _end_apart() -> None:
    apart = _APART[0]
    for path, text in _index_files(apart.index, apart.facets, apart.count, [], {}, set()):
        _write(apart.site_dir, path, text)


def _write(site_dir: Path, path: str, text: str) -> None:
    """Write one file of the index, making its folder only when it is missing (thousands of
    files share a few folders)."""
    target = site_dir / path
    try:
        target.write_text(text, encoding="utf-8")
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


_LOADER = """<script id="pmkb-search-loader" data-root="{root}" data-src="{script}">
(function () {{
  var me = document.currentScript, loaded = false;
  var box = document.createElement("div");
  box.className = "pmkb-search";
  box.setAttribute("role", "search");
  box.innerHTML = '<input type="search" class="pmkb-search__input" placeholder="Search incidents"'
    + ' aria-label="Search incidents (press /)" autocomplete="off" spellcheck="false">'
    + '<div class="pmkb-search__panel" hidden></div>';
  var header = document.querySelector(".md-header__inner");
  if (header) header.insertBefore(box, header.querySelector(".md-header__source"));
  else document.body.insertBefore(box, document.body.firstChild);
  var input = box.firstChild;
  function load() {{
    if (loaded) return;
    loaded = true;
    var script = document.createElement("script");
    script.src = me.getAttribute("data-src");
    document.head.appendChild(script);
  }}
  input.addEventListener("focus", load);
  document.addEventListener("keydown", function (event) {{
    var target = event.target, tag = target && target.tagName;
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    if (target.isContentEditable) return;
    event.preventDefault();
    input.focus();
  }});
  if (/[?&]h=/.test(location.search)) load();
}})();
</script>"""


def search_loader(root_url: str, script_url: str) -> str:
    """The few lines each page carries: the search box, and the loader that fetches the search
    script (and through it the index) only on focus of the box, on '/', or to mark the words
    of a search result (`?h=`). `root_url`: the site's root relative to the page."""
    return _LOADER.format(root=escape(root_url), script=escape(script_url))


def search_script() -> GeneratedPage:
    """assets/search.js, the search script the loader fetches."""
    script = asset_text(SEARCH_SCRIPT)
    return GeneratedPage(SEARCH_SCRIPT, script)
