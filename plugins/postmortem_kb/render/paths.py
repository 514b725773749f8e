"""Every path and URL of the generated site: fixed pages, slugs of ids, owners and services, and
which source claims each path (two claims on one path are a collision, reported, never hidden).

Slugs: readable lower-case ASCII where the value allows it (`Platform Team` -> `platform-team`,
`José` -> `jose`); a short stable hash of the value is appended (`--1a2b3c4d`, a double hyphen no
readable slug has) when the value loses letters on the way (`日本チーム`), when it would take a
name the site uses itself (`index`), or when two values of one family would share a slug (`José`
and `Josè`). The hash depends on the value alone, so a page keeps its URL across builds.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..core.corpus import Corpus, Incident
from ..core.schema import CONTRIBUTING_FACTORS, ID_PATTERN, RootCauseCategory, Severity, id_key
from ..core.settings import Settings

HOME = "index.md"
EXPLORER = "explorer.md"
LESSONS = "lessons.md"
FEED = "feed.xml"
TRENDS = "trends"
TRENDS_INDEX = f"{TRENDS}/index.md"
ACTION_ITEMS = "action-items"
ACTION_ITEMS_INDEX = f"{ACTION_ITEMS}/index.md"
FACTORS = "factors"
FACTORS_INDEX = f"{FACTORS}/index.md"
DATA = "data"
EXPLORER_DATA = f"{DATA}/explorer.json"
EXPORTS = ("incidents", "action-items", "quarters")
"""The data export: `data/<name>.json` and `data/<name>.csv` each."""
ASSETS = "assets/postmortem-kb"
CSS = f"{ASSETS}/postmortem-kb.css"
EXPLORER_SCRIPT = f"{ASSETS}/explorer.js"
SEARCH_SCRIPT = f"{ASSETS}/search.js"
SEARCH_DIR = "search-index"
"""The search index's folder (render/search_index.py); not `search/`, Material's."""
GROUPS = ("categories", "severities", "regulations", "services")
"""The index-page families: `<group>/index.md` and a page per value."""
NO_OWNER = "(no owner)"
"""The owner label of action items that name none (it has its page like any owner)."""
THEME_NAVIGATION = "partials/nav.html"
"""Not a file of the site: the theme template (Material's) that renders the site navigation
into each page, which the MkDocs adapter renders once for many (engines/mkdocs/navigation.py)."""
OVERRIDABLE = frozenset({HOME})
"""Generated pages a hand-written page of the same path replaces on purpose: the home page
(`docs/index.md`). Any other hand-written page on a generated path is a collision (an error)."""


def is_page(path: str) -> bool:
    """Whether a docs path is a Markdown page (rendered to HTML) rather than a file."""
    return path.endswith(".md")


RESERVED = frozenset({"index"})
"""Slugs no value may take in a folder of generated pages: `<folder>/index.md` is the site's."""
SLUG_LENGTH = 64
"""Longest readable part of a slug, as long as the longest id (a hash, when added, comes after)."""
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(value: str) -> str:
    """The readable ASCII part of a slug: accents folded, lower case, letters and digits joined
    by single hyphens (`José Müller` -> `jose-muller`); empty when nothing Latin is left."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", folded.lower()).strip("-")[:SLUG_LENGTH].rstrip("-")


def _lossy(value: str) -> bool:
    """True when `slugify` drops letters of `value` that no accent folding explains (CJK,
    Cyrillic, emoji...): the readable part alone would not tell such values apart."""
    for char in unicodedata.normalize("NFKD", value):
        if not char.isascii() and not unicodedata.combining(char) and char.isalnum():
            return True
    return False


def value_hash(value: str) -> str:
    """Eight hex digits of SHA-256 of the value (NFC): stable across builds and machines."""
    data = unicodedata.normalize("NFC", value).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:8]


def _hashed(value: str, readable: str) -> str:
    return f"{readable or 'x'}--{value_hash(value)}"


def unique_slugs(values: Iterable[str], readable: Callable[[str], str] = slugify) -> dict[str, str]:
    """A slug for each value of one family (one folder), all distinct: the readable slug when it
    is faithful, not reserved and not shared with another value; else with the value's hash."""
    base = {value: readable(value) for value in dict.fromkeys(values)}
    shared = Counter(base.values())
    return {
        value: slug
        if slug and slug not in RESERVED and shared[slug] == 1 and not _lossy(value)
        else _hashed(value, slug)
        for value, slug in base.items()
    }


def relative_url(dest: str, base_dir: str) -> str:
    """The URL of site path `dest` relative to the folder `base_dir` ("" or ending in "/").

    What `posixpath.relpath` answers, with a trailing slash kept for folders; relpath
    normalises both paths to absolute ones first, which made it a tenth of page generation.
    """
    folder = dest.endswith("/") or not dest
    target = [part for part in dest.split("/") if part]
    base = [part for part in base_dir.split("/") if part]
    common = 0
    for mine, theirs in zip(target, base, strict=False):
        if mine != theirs:
            break
        common += 1
    parts = [".."] * (len(base) - common) + target[common:]
    if not parts:
        return "./" if folder else "."
    return "/".join(parts) + ("/" if folder else "")


def index_of(folder: str) -> str:
    """The index page of a folder of the site (`trends/index.md`; `index.md` for the root)."""
    return posixpath.join(folder, "index.md")


def folder_index(path: str) -> str:
    """The index page of the folder a page is in (`trends/2025-q1.md` -> `trends/index.md`)."""
    return index_of(posixpath.dirname(path))


@dataclass(frozen=True)
class Collision:
    """Two or more sources that claim one path of the site."""

    dest: str
    """Where they would be written (the URL path)."""
    claimants: tuple[str, ...]

    def message(self) -> str:
        """One line naming every claimant."""
        return f"{' and '.join(self.claimants)} claim the same page {self.dest or '/'}"


class SitePaths:
    """Where every page and file of one build goes, and the URL from any page to any other.

    Built once per build from the settings and the corpus: the slugs of each family (incident
    ids, owners, services, regulations...) are assigned from all of its values at once, so two
    values never share a page. Each path records what claims it (`claimant`).
    """

    def __init__(self, settings: Settings, corpus: Corpus | None = None) -> None:
        self.prefix = settings.url_prefix
        self.use_directory_urls = settings.use_directory_urls
        self._claims: dict[str, list[str]] = {}
        self._recording: list[tuple[str, str]] | None = None
        self._urls: dict[str, dict[str, str]] = {}  # base directory -> target -> URL
        for path, what in self.fixed():
            self.claim(path, what)
        incidents = corpus.incidents if corpus is not None else []
        self._incidents: dict[str, str] = {}
        for incident in incidents:
            path = self._incident_path(incident.id)
            self._incidents[incident.key] = path
            self.claim(
                path, f"the page of incident {incident.id} ({incident.document.display_path})"
            )
        values: dict[str, list[str]] = {
            "categories": [c.value for c in RootCauseCategory],
            "severities": [s.value for s in Severity],
            "regulations": [
                *settings.regulations.codes,
                *(code for i in incidents for code in i.model.regulations),
            ],
            "services": [s for i in incidents for s in i.model.services],
        }
        self._slugs: dict[str, dict[str, str]] = {}
        for group, group_values in values.items():
            self._slugs[group] = unique_slugs(group_values)
            for value in self._slugs[group]:
                self.claim(self.group(group, value), f"the {group} page of {value!r}")
        owners = [NO_OWNER, *(a.owner for i in incidents for a in i.model.action_items if a.owner)]
        self._slugs[ACTION_ITEMS] = unique_slugs(owners)
        for owner in self._slugs[ACTION_ITEMS]:
            self.claim(self.owner(owner), f"the action items of owner {owner!r}")

    # --- fixed pages and files ------------------------------------------------------------------

    def fixed(self) -> list[tuple[str, str]]:
        """The paths the site always generates, with what each is (two may coincide when
        `url_prefix` names a folder of the site's own)."""
        fixed = [
            (HOME, "the home page"),
            (self.incidents_index, "the list of all incidents"),
            (EXPLORER, "the explorer"),
            (EXPLORER_DATA, "the explorer's data"),
            (EXPLORER_SCRIPT, "the explorer's script"),
            (SEARCH_SCRIPT, "the search script"),
            (LESSONS, "the lessons-learned page"),
            (FEED, "the feed"),
            (TRENDS_INDEX, "the trends overview"),
            (ACTION_ITEMS_INDEX, "the action-items overview"),
            (FACTORS_INDEX, "the contributing-factors overview"),
            (CSS, "the stylesheet"),
        ]
        fixed += [(self.group_index(g), f"the index of {g}") for g in GROUPS]
        fixed += [(self.factor(key), f"the page of factor {key!r}") for key in CONTRIBUTING_FACTORS]
        fixed += [
            (self.export(name, ext), f"the export {name}.{ext}")
            for name in EXPORTS
            for ext in ("json", "csv")
        ]
        return fixed

    @property
    def incidents_index(self) -> str:
        """The page listing every incident."""
        return index_of(self.prefix)

    @staticmethod
    def export(name: str, extension: str) -> str:
        """A file of the data export, e.g. `data/incidents.json`."""
        return f"{DATA}/{name}.{extension}"

    # The search index's files (render/search_index.py); assets/search.js fetches the same names.
    SEARCH_META = f"{SEARCH_DIR}/meta.json"

    @staticmethod
    def search_shard(number: int) -> str:
        """A shard of the search index's terms."""
        return f"{SEARCH_DIR}/t/{number}.json"

    @staticmethod
    def search_facet(name: str) -> str:
        """The incidents of each value of one facet."""
        return f"{SEARCH_DIR}/f/{name}.json"

    @staticmethod
    def search_doc(number: int) -> str:
        """One incident's entry in the search index (for the result list)."""
        return f"{SEARCH_DIR}/d/{number}.json"

    # --- pages named after values ---------------------------------------------------------------

    @staticmethod
    def _incident_slug(incident_id: str) -> str:
        key = id_key(incident_id)  # ids are ASCII letters, digits, `-` and `_` (ID_PATTERN)
        return _hashed(incident_id, key) if key in RESERVED else key

    def incident_slug_path(self, slug: str) -> str:
        """The page of the incident whose slug is `slug`."""
        return f"{self.prefix}/{slug}.md"

    def _incident_path(self, incident_id: str) -> str:
        return self.incident_slug_path(self._incident_slug(incident_id))

    def incident_slug(self, incident: Incident) -> str:
        """An incident's slug: its id in lower case, hashed when it is a reserved name."""
        return self._incident_slug(incident.id)

    def incident(self, incident: Incident) -> str:
        """Where an incident's page lives."""
        path = self._incidents.get(incident.key)
        return path if path is not None else self._incident_path(incident.id)

    def incident_by_id(self, incident_id: str) -> str | None:
        """The page of the incident with this id (any case), None when the build has none."""
        return self._incidents.get(id_key(incident_id))

    def names_an_incident(self, words: Iterable[str]) -> bool:
        """Whether any of `words` is the id (any case) of an incident of this build."""
        return not self._incidents.keys().isdisjoint(map(id_key, words))

    def unbuilt(self, name: str) -> str | None:
        """Where the preview page of a file that gives no incident goes, by the id it would have
        had (or its file name); None when `name` cannot be an id."""
        return self._incident_path(name) if re.fullmatch(ID_PATTERN, name) else None

    def _slug(self, family: str, value: str) -> str:
        slug = self._slugs.get(family, {}).get(value)
        return slug if slug is not None else unique_slugs([value])[value]

    def group_index(self, group: str) -> str:
        """The index page of a group (`services/index.md`)."""
        return index_of(group)

    def group(self, group: str, value: str) -> str:
        """The page of one value of a group (`services/checkout-api.md`)."""
        return f"{group}/{self._slug(group, value)}.md"

    def owner(self, owner: str | None) -> str:
        """The page listing one owner's action items (`None`: the items with no owner)."""
        return f"{ACTION_ITEMS}/{self._slug(ACTION_ITEMS, owner or NO_OWNER)}.md"

    def quarter(self, label: str) -> str:
        """A quarter's trend page (`trends/2025-q1.md`)."""
        path = f"{TRENDS}/{label.lower()}.md"
        self.claim(path, f"the trend page of {label}")
        return path

    @staticmethod
    def factor(key: str) -> str:
        """The page of one contributing factor (`factors/change-management.md`)."""
        return f"{FACTORS}/{key.replace('_', '-')}.md"

    @staticmethod
    def action_anchor(item_id: str) -> str:
        """The anchor of an action item on its incident's page (`action-ai-1`)."""
        return f"action-{item_id.lower()}"

    # --- claims -----------------------------------------------------------------------------

    def claim(self, path: str, what: str) -> None:
        """Record that `what` (a sentence naming its source) is generated at `path`."""
        claimants = self._claims.setdefault(path, [])
        if what not in claimants:
            claimants.append(what)
        if self._recording is not None:
            self._recording.append((path, what))

    @contextmanager
    def recording(self) -> Iterator[list[tuple[str, str]]]:
        """Every claim made inside the block, in order (to make them again: `claim`)."""
        claims: list[tuple[str, str]] = []
        self._recording = claims
        try:
            yield claims
        finally:
            self._recording = None

    def is_claimed(self, path: str) -> bool:
        """True when something claimed `path`."""
        return path in self._claims

    def claimant(self, path: str) -> str:
        """What claimed `path` (all claimants, when several did)."""
        return " and ".join(self._claims.get(path, [])) or f"the generated file {path}"

    def collisions(self, generated: Iterable[str] = ()) -> list[Collision]:
        """Every site path (URL) claimed by more than one source, e.g. `x.md` and `x/index.md`,
        which the same URL serves when `use_directory_urls` is on. `generated`: the paths of
        the files generated, so that a path written twice is one too, whatever claimed it."""
        by_dest: dict[str, list[str]] = {}
        for path, claimants in self._claims.items():
            by_dest.setdefault(self.dest(path), []).extend(claimants)
        written = Counter(self.dest(path) for path in generated)
        found = []
        for dest, claimants in by_dest.items():
            names = list(dict.fromkeys(claimants))
            names += ["another generated file"] * (written[dest] - len(names))
            if len(names) > 1:
                found.append(Collision(dest, tuple(names)))
        return found

    # --- URLs ---------------------------------------------------------------------------------

    def dest(self, path: str) -> str:
        """Where a docs path ends up in the site: pages per `use_directory_urls`, files as is."""
        if not is_page(path):
            return path
        stem = path.removesuffix(".md")
        if not self.use_directory_urls:
            return stem + ".html"
        if stem == "index":
            return ""
        if stem.endswith("/index"):
            return stem.removesuffix("index")
        return stem + "/"

    def absolute_url(self, site_url: str, path: str, anchor: str = "") -> str:
        """The full URL of a page or file on the site at `site_url`, for links sent elsewhere
        (`https://kb.example/incidents/inc-2025-007/#action-ai-1`)."""
        return f"{site_url.rstrip('/')}/{self.dest(path)}" + (f"#{anchor}" if anchor else "")

    def url_from(self, source: str) -> Callable[[str], str]:
        """A function giving the relative URL from page `source` to any page or file path."""
        base = self.dest(source)
        base_dir = base if base.endswith("/") or not base else posixpath.dirname(base) + "/"
        cache = self._urls.setdefault(base_dir, {})

        def url(target: str) -> str:
            # Templates ask for the same few targets again and again (every action row links
            # its incident), so each answer is kept per base folder.
            rel = cache.get(target)
            if rel is None:
                rel = cache[target] = relative_url(self.dest(target), base_dir)
            return rel

        return url
