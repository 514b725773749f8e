"""Page generation: Jinja2 rendering and the core pages (incidents, home, group indexes)."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import posixpath
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jinja2.ext
import yaml
from markupsafe import Markup, escape

from ..core.corpus import Corpus, Incident, Unbuilt
from ..core.followup import Due, due_of
from ..core.links import rewrite_links
from ..core.lint import notices_for
from ..core.metrics import (
    BOOLEAN_CHECKS,
    ActionState,
    CheckOutcome,
    action_state,
    format_duration,
    format_minutes,
)
from ..core.packed import pack, unpack
from ..core.problems import Problem
from ..core.related import Related, related_incidents
from ..core.schema import (
    ASSESSMENTS,
    ASSESSORS,
    CONTRIBUTING_FACTORS,
    RECURRENCE_CHECKS,
    ActionItem,
    PostMortem,
    RootCauseCategory,
    Severity,
    id_key,
)
from ..core.sections import split_body
from ..core.settings import Settings
from . import paths as site_paths
from .paths import SitePaths, slugify
from .sanitize import fence_sections, footnotes_region

TEMPLATE_FOLDER = "postmortem_kb"
"""Templates are looked up in `<overrides>/postmortem_kb/` first, then in the package."""

STATE_LABELS = {
    ActionState.OPEN: "open",
    ActionState.AT_RISK: "at risk",
    ActionState.OVERDUE: "overdue",
    ActionState.DONE_ON_TIME: "done",
    ActionState.DONE_LATE: "done late",
    ActionState.CANCELLED: "cancelled",
    ActionState.UNKNOWN: "unknown",
}

CHECK_OUTCOME_LABELS = {
    CheckOutcome.PASS: "pass",
    CheckOutcome.FAIL: "fail",
    CheckOutcome.NOT_RECORDED: "not recorded",
}

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")

INCIDENT_SEARCH_BOOST = 2
"""Material's `search.boost` for incident pages: they outrank guide pages sharing their words."""

# LibYAML's loader and emitter when PyYAML has them (the same documents, faster).
_YamlLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YamlDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def aggregate_meta() -> dict[str, Any]:
    """Page meta for an aggregate page (index, list, chart, explorer): kept out of the search
    index, so a search lists each incident once, by its own page (see docs/guide/finding.md)."""
    return {"search": {"exclude": True}}


SCROLL_OPEN = '<div class="pmkb-scroll" tabindex="0">'
"""Every generated table sits in its own horizontally scrolling box (focusable, so a keyboard can
scroll it): on a phone the table scrolls, not the page."""
_TABLE_OPEN = re.compile(r'<table class="pmkb-')


def scroll_tables(source: str) -> str:
    """Wrap each `<table class="pmkb-...">...</table>` of a template's source in SCROLL_OPEN."""
    source = _TABLE_OPEN.sub(lambda m: SCROLL_OPEN + m.group(0), source)
    return source.replace("</table>", "</table></div>")


class _ScrollTables(jinja2.ext.Extension):
    """Applies `scroll_tables` to every page template's source (the package's and overrides'),
    never to the data rendered into it."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return scroll_tables(source)


_INCIDENT_REF = re.compile(r"([A-Za-z](?<![\w-].)[\w-]*)(?: (AI-\d+))?")
"""A word that may be an incident id (`INC-2024-033`), optionally with an action item (`... AI-3`);
one greedy class, so scanning stays linear. Only ids of the build's incidents become links. The
test that no `-` or word character comes before looks back from after the first letter, so the
regex engine skips to each letter instead of testing every position."""
_WORDS = re.compile(r"[\w-]+")
"""Every run of word characters and `-`: each word `_INCIDENT_REF` can match is one of them."""


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in memory by name and source checksum, so every PageBuilder (one
    per build, and per `mkdocs serve` rebuild) reuses them instead of compiling them again."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self._store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)  # ignored if the template's source has changed

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE_CACHE = _MemoryBytecodeCache()


class GeneratedPage:
    """A file to add to the site: a Markdown page (`*.md`) or any other file (JSON, SVG, XML).

    Text is held packed (core/packed.py) and unpacked each time `content` is read: a site keeps
    every generated page until its engine has finished them all.
    """

    __slots__ = ("_binary", "in_nav", "packed", "path", "source")

    def __init__(
        self, path: str, content: str | bytes, source: str | None = None, in_nav: bool = False
    ) -> None:
        self.path = path
        self._binary = isinstance(content, bytes)
        self.packed = content if isinstance(content, bytes) else pack(content)
        """The text packed, or the bytes as given: equal content, equal `packed`."""
        self.source = source
        """Display path of the post-mortem it was generated from (for edit links)."""
        self.in_nav = in_nav

    @classmethod
    def packed_text(
        cls, path: str, packed: bytes, source: str | None = None, in_nav: bool = False
    ) -> GeneratedPage:
        """A page of text already packed (core/packed.py: `pack` or a `Packer`)."""
        page = cls(path, b"", source, in_nav)
        page._binary, page.packed = False, packed
        return page

    @property
    def content(self) -> str | bytes:
        return self.packed if self._binary else unpack(self.packed)

    @property
    def is_text(self) -> bool:
        return not self._binary

    def _fields(self) -> tuple[object, ...]:
        return (self.path, self.packed, self._binary, self.source, self.in_nav)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GeneratedPage):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"GeneratedPage({self.path!r}, source={self.source!r}, in_nav={self.in_nav!r})"


@dataclass
class GroupPage:
    """An index page listing the incidents that share one value (a service, a category...)."""

    path: str
    label: str
    incidents: list[Incident] = field(default_factory=list)


@dataclass
class Group:
    """A family of index pages: all services, all categories..."""

    key: str
    title: str
    singular: str
    pages: list[GroupPage]


def md_text(value: object) -> Markup:
    """Escape text for an inline Markdown context: HTML-escaped, Markdown punctuation escaped."""
    return Markup(_MD_SPECIAL.sub(r"\\\1", str(escape(str(value)))))


def _utc(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _money(value: float | None, currency: str = "USD") -> str:
    if value is None:
        return "—"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    amount = f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def asset_text(site_path: str) -> str:
    """The package's file for an asset of the site (`paths.CSS`, `paths.SEARCH_SCRIPT`, ...):
    `render/assets/` holds each under the name it has in the site."""
    name = posixpath.basename(site_path)
    return resources.files("postmortem_kb.render").joinpath("assets", name).read_text("utf-8")


def template_loader(overrides: Path | None) -> jinja2.BaseLoader:
    """Templates from `<overrides>/postmortem_kb/` first, then from the package."""
    loaders: list[jinja2.BaseLoader] = []
    if overrides is not None:
        loaders.append(jinja2.FileSystemLoader(str(overrides / TEMPLATE_FOLDER)))
    loaders.append(jinja2.PackageLoader("postmortem_kb.render", "templates"))
    return jinja2.ChoiceLoader(loaders)


def templates_stamp(overrides: Path | None) -> list[tuple[str, int, int]]:
    """Every template file a build can use (overrides and package) with its mtime and size:
    equal stamps mean the same templates (a preview compares them between rebuilds)."""
    folders = [Path(str(resources.files("postmortem_kb.render").joinpath("templates")))]
    if overrides is not None:
        folders.insert(0, overrides / TEMPLATE_FOLDER)
    stamp = []
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                status = os.stat(os.path.join(root, name))
                stamp.append((os.path.join(root, name), status.st_mtime_ns, status.st_size))
    return stamp


def render_text(name: str, overrides: Path | None, context: dict[str, Any]) -> str:
    """A plain-text template (no HTML escaping) found like the pages' templates, e.g. the file
    `postmortem new` writes. Its `yaml` filter quotes a string as a YAML double-quoted scalar."""
    env = jinja2.Environment(
        loader=template_loader(overrides),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["yaml"] = lambda value: json.dumps(str(value), ensure_ascii=False)
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateTextError(f"{exc.filename or name}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateTextError(f"{name}: {exc.message}") from None


@dataclass(frozen=True)
class UnbuiltTarget:
    """A file that gives no incident, and where its preview "not built" page goes."""

    unbuilt: Unbuilt
    path: str
    errors: int
    warnings: int


class TemplateTextError(ValueError):
    """A plain-text template that cannot be rendered (e.g. a broken override)."""


class PageBuilder:
    """Renders every generated page of a knowledge base from a Corpus."""

    def __init__(
        self, settings: Settings, overrides: Path | None = None, corpus: Corpus | None = None
    ) -> None:
        """`corpus`: the corpus the pages are for, which `paths` assigns slugs from."""
        self.settings = settings
        self.corpus = corpus
        self.paths = SitePaths(settings, corpus)
        self._unbuilt: tuple[Corpus, list[UnbuiltTarget]] | None = None
        self._related: tuple[Corpus, Mapping[str, Related]] | None = None
        self._problems: tuple[Corpus, dict[str, list[Problem]]] | None = None
        self._targets: tuple[Corpus, dict[str, Incident], dict[str, Incident]] | None = None
        self._urls: dict[str, dict[str, str]] = {}  # base directory -> target -> URL
        self.env = jinja2.Environment(
            loader=template_loader(overrides),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            bytecode_cache=_BYTECODE_CACHE,
            auto_reload=False,  # one builder per build: no need to stat templates per render
            extensions=[_ScrollTables],
        )
        self.env.filters.update(
            md_text=md_text,
            utc=_utc,
            duration=format_duration,
            minutes=format_minutes,
            number=_number,
            money=_money,
            link_incidents=self._link_incidents,
        )
        self.env.globals.update(
            factor_labels=CONTRIBUTING_FACTORS,
            recurrence_labels=RECURRENCE_CHECKS,
            state_labels=STATE_LABELS,
            boolean_checks=BOOLEAN_CHECKS,
            check_outcomes=CHECK_OUTCOME_LABELS,
            assessment_labels=ASSESSMENTS,
            assessors=ASSESSORS,
            action_follow=self.action_follow,
            paths=self.paths,
            incident_page=self.paths.incident,
            category_page=lambda c: self.paths.group("categories", c.value),
            service_page=lambda s: self.paths.group("services", s),
            regulation_page=lambda r: self.paths.group("regulations", r),
            severity_page=lambda s: self.paths.group("severities", s.value),
            action_anchor=self.paths.action_anchor,
            incidents_index=self.paths.incidents_index,
            has_page=lambda path: path in settings.docs_pages,
            unbuilt_files=lambda: self.unbuilt_targets(corpus) if corpus is not None else [],
            follow_up=settings.follow_up,
        )

    def action_follow(self, pm: PostMortem, item: ActionItem) -> tuple[ActionState, Due]:
        """An item's state on the reference date and its (written or policy) due date."""
        follow_up = self.settings.follow_up
        due = due_of(item, pm, follow_up, self.settings.holidays)
        state = action_state(item, self.settings.reference_date, due.date, follow_up.at_risk_days)
        return state, due

    # --- rendering --------------------------------------------------------------------------

    @jinja2.pass_context
    def _link_incidents(self, context: jinja2.runtime.Context, text: object) -> Markup:
        """`text`, escaped, with each id of an incident of this build (and an action item of
        it, "INC-2024-033 AI-3") linked to its page; unknown ids stay text."""
        text = str(text)
        if not self.paths.names_an_incident(_WORDS.findall(text)):
            return escape(text)  # most texts: their words are looked up at C speed, at once
        parts: list[str] = []
        last = 0
        for match in _INCIDENT_REF.finditer(text):
            page = self.paths.incident_by_id(match.group(1))
            if page is None:
                continue
            href = context["url"](page)
            if match.group(2):
                href += "#" + self.paths.action_anchor(match.group(2))
            parts += [
                escape(text[last : match.start()]),
                Markup('<a href="{}">{}</a>').format(href, match.group(0)),
            ]
            last = match.end()
        parts.append(escape(text[last:]))
        return Markup("").join(parts)

    def render(self, template: str, page_path: str, **context: Any) -> str:
        """Render a template for the page at `page_path`.

        Templates get `url(path)` (also as `link`, for Markdown links), the relative URL of a
        page or file: pages are finished by the core, no engine resolves `.md` links in them.
        """
        tpl = self.env.get_template(template)
        url = self.paths.url_from(page_path)
        return tpl.render(
            url=url,
            link=url,
            page_path=page_path,
            **context,
        )

    def with_meta(self, meta: dict[str, Any], markdown: str) -> str:
        """Prefix Markdown with a YAML meta block (MkDocs reads it as page.meta).

        A meta block the Markdown already starts with (e.g. from its template) is merged into the
        new one, its keys first, so there is always a single block.
        """
        if not meta:
            return markdown
        head = re.match(r"---\n(.*?\n)---\n+", markdown, re.DOTALL)
        if head is not None:
            existing = yaml.load(head.group(1), Loader=_YamlLoader)
            if isinstance(existing, dict):
                meta = {**existing, **meta}
                markdown = markdown[head.end() :]
        head_yaml = yaml.dump(meta, Dumper=_YamlDumper, sort_keys=False, allow_unicode=True)
        return f"---\n{head_yaml}---\n\n{markdown}"

    def aggregate_page(
        self, path: str, markdown: str, *, in_nav: bool = False, title: str | None = None
    ) -> GeneratedPage:
        """A generated aggregate page (lists, indexes, charts), kept out of the search index.

        Give `title` when it holds post-mortem text: MkDocs would take the H1's text unescaped.
        """
        meta = aggregate_meta()
        if title is not None:
            meta["title"] = html.escape(title, quote=True)
        return GeneratedPage(path, self.with_meta(meta, markdown), in_nav=in_nav)

    def related(
        self, corpus: Corpus, known: Mapping[str, Related] | None = None
    ) -> Mapping[str, Related]:
        """Related incidents of every incident of `corpus`, computed once per corpus (`known`:
        what they are, computed before from equal front matter)."""
        if known is not None:
            self._related = (corpus, known)
        elif self._related is None or self._related[0] is not corpus:
            self._related = (corpus, related_incidents(corpus.incidents))
        return self._related[1]

    def problems_of(self, corpus: Corpus, display_path: str) -> list[Problem]:
        """The problems of one file of `corpus`, grouped by file once per corpus (so the build
        stays linear in the corpus size)."""
        if self._problems is None or self._problems[0] is not corpus:
            by_path: dict[str, list[Problem]] = {}
            for problem in corpus.problems:
                by_path.setdefault(problem.path, []).append(problem)
            self._problems = (corpus, by_path)
        return self._problems[1].get(display_path, [])

    def _link_targets(self, corpus: Corpus) -> tuple[dict[str, Incident], dict[str, Incident]]:
        """Each incident by the normalised path of its file and by `id_key` of its id (the
        targets of links between bodies), once per corpus."""
        if self._targets is None or self._targets[0] is not corpus:
            by_file = {os.path.normpath(i.document.path): i for i in corpus.incidents}
            self._targets = (corpus, by_file, corpus.by_id())
        return self._targets[1], self._targets[2]

    def incident_page(self, incident: Incident, corpus: Corpus) -> GeneratedPage:
        """The page of one post-mortem."""
        path = self.paths.incident(incident)
        pm = incident.model
        # The body rule (sanitize.py): author HTML is cleaned once Markdown has rendered it.
        link = self.paths.url_from(path)
        by_file, by_key = self._link_targets(corpus)

        def page_of(found: Incident | None) -> str | None:
            return None if found is None else link(self.paths.incident(found))

        text = rewrite_links(
            incident.document.body,
            incident.document.path,
            lambda file: page_of(by_file.get(file)),
            lambda ref: page_of(by_key.get(id_key(ref))),
        )
        sections = split_body(text, dict(self.settings.section_placement))
        body = fence_sections(sections, md_text)
        markdown = self.render(
            "incident.md.j2",
            path,
            pm=pm,
            incident=incident,
            metrics=incident.metrics,
            body=body,
            footnotes=footnotes_region(incident.document.body),
            currency=incident.metrics.cost.currency if incident.metrics.cost else "USD",
            timeline=sorted(pm.timeline, key=lambda entry: entry.at),
            related=self.related(corpus).get(incident.id, Related()),
            notices=notices_for(
                self.problems_of(corpus, incident.document.display_path),
                incident.document.display_path,
            ),
            preview=self.settings.preview,
        )
        meta = {
            # MkDocs themes print page.title and description unescaped (Jinja autoescape is off),
            # so both are HTML-escaped here; the meta title also wins over the H1's text.
            "title": html.escape(f"{pm.id}: {pm.title}", quote=True),
            "description": html.escape(pm.summary, quote=True),
            "search": {"boost": INCIDENT_SEARCH_BOOST},
        }
        if pm.root_cause is not None:
            meta["tags"] = [pm.root_cause.category.value]  # Material's tags plugin

        return GeneratedPage(path, self.with_meta(meta, markdown), incident.document.display_path)

    def unbuilt_targets(self, corpus: Corpus) -> list[UnbuiltTarget]:
        """In a preview, each file that gives no incident and where its "not built" page goes:
        where its incident page would be (by its `id`, else its file name), so a browser left
        on that page shows why it is gone. Empty outside a preview."""
        if not self.settings.preview:
            return []
        if self._unbuilt is not None and self._unbuilt[0] is corpus:
            return self._unbuilt[1]
        taken = {self.paths.incident(i) for i in corpus.incidents} | {self.paths.incidents_index}
        targets = []
        for unbuilt in corpus.unbuilt:
            file_name = slugify(Path(unbuilt.path).stem)
            candidates = (self.paths.unbuilt(unbuilt.id or ""), self.paths.unbuilt(file_name))
            path = next((c for c in candidates if c is not None and c not in taken), None)
            if path is None:
                continue
            taken.add(path)
            problems = self.problems_of(corpus, unbuilt.path)
            errors = sum(p.level.value == "error" for p in problems)
            targets.append(UnbuiltTarget(unbuilt, path, errors, len(problems) - errors))
        self._unbuilt = (corpus, targets)
        return targets

    def unbuilt_pages(self, corpus: Corpus, taken: set[str]) -> list[GeneratedPage]:
        """For a preview: a page per file that gives no incident, listing its problems (at its
        `unbuilt_targets` path, unless a page in `taken` has it)."""
        pages = []
        for target in self.unbuilt_targets(corpus):
            unbuilt, path = target.unbuilt, target.path
            if path in taken:
                continue
            taken.add(path)
            name = unbuilt.id or Path(unbuilt.path).name
            self.paths.claim(path, f"the preview page of {unbuilt.path}")
            markdown = self.render(
                "unbuilt.md.j2",
                path,
                name=name,
                unbuilt=unbuilt,
                problems=self.problems_of(corpus, unbuilt.path),  # in line order
            )
            meta = {
                "title": html.escape(f"{name}: not built", quote=True),
                "search": {"exclude": True},
            }
            pages.append(GeneratedPage(path, self.with_meta(meta, markdown), unbuilt.path))
        return pages

    def groups(self, corpus: Corpus) -> list[Group]:
        """The index-page families: by root-cause category, severity, regulation and service."""

        def build(
            key: str,
            title: str,
            singular: str,
            values: Callable[[Incident], Iterable[str]],
            order: list[str],
        ) -> Group:
            path = self.paths.group
            pages: dict[str, GroupPage] = {v: GroupPage(path(key, v), v) for v in order}
            for incident in corpus.incidents:
                for value in values(incident):
                    page = pages.setdefault(value, GroupPage(path(key, value), value))
                    page.incidents.append(incident)
            return Group(key, title, singular, list(pages.values()))

        return [
            build(
                "categories",
                "Root-cause categories",
                "Root-cause category",
                lambda i: [i.model.root_cause.category.value] if i.model.root_cause else [],
                [c.value for c in RootCauseCategory],
            ),
            build(
                "severities",
                "Severities",
                "Severity",
                lambda i: [i.model.severity.value],
                [s.value for s in Severity],
            ),
            build(
                "regulations",
                "Regulations",
                "Regulation",
                lambda i: i.model.regulations,
                self.settings.regulations.codes,
            ),
            build(
                "services",
                "Services",
                "Service",
                lambda i: i.model.services,
                sorted({s for i in corpus.incidents for s in i.model.services}),
            ),
        ]

    def incident_pages(
        self,
        corpus: Corpus,
        incident_page: Callable[[Incident], GeneratedPage] | None = None,
        ready: Callable[[GeneratedPage], object] | None = None,
    ) -> list[GeneratedPage]:
        """Every incident's page. `incident_page`: what gives one (by default
        `self.incident_page`); `ready`: called with each page as soon as it is made."""
        pages = []
        for incident in corpus.incidents:
            page = (
                self.incident_page(incident, corpus)
                if incident_page is None
                else incident_page(incident)
            )
            if ready is not None:
                ready(page)
            pages.append(page)
        return pages

    def index_pages(self, corpus: Corpus, site_title: str) -> list[GeneratedPage]:
        """The list of all incidents, the home page and, in a preview, the pages of files that
        give no incident (the group pages, with their figures, come from the analytics
        provider)."""
        groups = self.groups(corpus)
        newest_first = sorted(corpus.incidents, key=lambda i: i.model.started, reverse=True)
        pages = [
            self.aggregate_page(
                self.paths.incidents_index,
                self.render(
                    "incident_list.md.j2",
                    self.paths.incidents_index,
                    title="All incidents",
                    intro=f"{len(corpus.incidents)} post-mortems, newest first.",
                    incidents=newest_first,
                ),
                in_nav=True,
            )
        ]
        severity_counts = Counter(i.model.severity.value for i in corpus.incidents)
        pages.append(
            self.aggregate_page(
                site_paths.HOME,
                self.render(
                    "home.md.j2",
                    site_paths.HOME,
                    site_title=site_title,
                    corpus=corpus,
                    severity_counts=[
                        (s.value, severity_counts[s.value])
                        for s in Severity
                        if severity_counts[s.value]
                    ],
                    onboarding=[i for i in newest_first if i.model.onboarding],
                    recent=newest_first[:10],
                    groups=groups,
                ),
                in_nav=True,
            )
        )
        if self.settings.preview:
            taken = {self.paths.incident(i) for i in corpus.incidents}
            pages.extend(self.unbuilt_pages(corpus, taken | {page.path for page in pages}))
        return pages
