"""The whole generated site: every page provider, in order, run over one Corpus."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core.collector import collector_paused
from ..core.corpus import Corpus, Incident, without_drafts
from ..core.related import Related
from ..core.schema import PostMortem
from ..core.settings import Settings
from .analytics_pages import analytics_provider
from .learning_pages import learning_pages
from .pages import GeneratedPage, PageBuilder, templates_stamp
from .paths import Collision, SitePaths

Provider = Callable[[PageBuilder, Corpus, str], Iterable[GeneratedPage]]
"""A feature that adds pages or files: (builder, corpus, site title) -> generated files."""

AGGREGATES: list[Provider] = [
    PageBuilder.index_pages,
    analytics_provider,
    learning_pages,
]
"""Every page after the incident pages: the incident list and home page, then the features.
They are given the corpus without bodies (`front_matter_only`): what they show is made from the
front matter, so an edit to a body does not change them."""


@dataclass
class Site:
    """The generated files of one build, the paths they were named by, and the collisions."""

    pages: list[GeneratedPage]
    """One file per path: of two claims on one path only the first is here."""
    paths: SitePaths
    collisions: list[Collision]
    """Every path two sources claimed (errors: a strict build fails on them)."""


@dataclass
class Reuse:
    """The pages of a preview's previous build, to reuse those whose inputs are unchanged
    (`mkdocs serve` keeps one across rebuilds).

    A page is reused only when every input it is made from equals the previous build's: an
    incident page needs its incident (document with body, front matter, metrics), its related
    incidents and its file's problems to be equal; the aggregates need the front matter, metrics
    and problems of every incident, and every file's name. Both also need equal settings, site
    title, templates (`templates_stamp`) and incident paths. So an edit to one body makes that
    incident's page again and nothing else; an edit to front matter makes the aggregates too.
    """

    site: tuple[object, ...] | None = None
    incidents: dict[str, tuple[tuple[object, ...], GeneratedPage]] = field(default_factory=dict)
    """By incident key: the inputs of its page and the page."""
    aggregates: tuple[tuple[object, ...], list[GeneratedPage], list[tuple[str, str]]] | None = None
    """The inputs of the aggregates, their pages and the paths they claimed."""
    related: tuple[list[tuple[PostMortem, Path]], Mapping[str, Related]] | None = None
    """The front matter and file of every incident, and their related incidents."""
    made: int = 0
    """Pages the last build made (the others it reused)."""


def site_corpus(corpus: Corpus, settings: Settings) -> Corpus:
    """The incidents the site has pages for: drafts only when `include_drafts` is on."""
    return corpus if settings.include_drafts else without_drafts(corpus)


def front_matter_only(corpus: Corpus) -> Corpus:
    """The corpus with every incident's body left out (what the aggregates are made from)."""
    incidents = [
        Incident(dataclasses.replace(i.document, body=""), i.model, i.metrics)
        for i in corpus.incidents
    ]
    return Corpus(incidents, corpus.problems, corpus.files, corpus.unbuilt)


def _aggregates(builder: PageBuilder, corpus: Corpus, site_title: str) -> list[GeneratedPage]:
    """Every page of the AGGREGATES providers, made from the front matter only."""
    bodiless = front_matter_only(corpus)
    return [page for provider in AGGREGATES for page in provider(builder, bodiless, site_title)]


def generate_site(
    corpus: Corpus,
    settings: Settings,
    overrides: Path | None = None,
    site_title: str = "Post-mortems",
    reuse: Reuse | None = None,
    ready: Callable[[GeneratedPage], object] | None = None,
) -> Site:
    """Every generated file of the site, from every provider, and the collisions between them.

    `reuse`: a preview's previous build, whose pages are reused where their inputs are equal
    (the site is the same as without it). `ready`: called with each incident page as soon as it
    is made, before the next (an engine can start rendering it while the others are made).
    """
    corpus = site_corpus(corpus, settings)
    builder = PageBuilder(settings, overrides, corpus)
    paths = builder.paths
    with collector_paused():
        if reuse is None:
            generated = builder.incident_pages(corpus, ready=ready)
            generated += _aggregates(builder, corpus, site_title)
        else:
            generated = _reusing(reuse, builder, corpus, overrides, site_title, ready)
    pages: dict[str, GeneratedPage] = {}
    for page in generated:
        if not paths.is_claimed(page.path):  # a file no path method named
            paths.claim(page.path, f"the generated file {page.path}")
        pages.setdefault(paths.dest(page.path), page)
    collisions = paths.collisions(page.path for page in generated)
    return Site(list(pages.values()), paths, collisions)


def _reusing(
    reuse: Reuse,
    builder: PageBuilder,
    corpus: Corpus,
    overrides: Path | None,
    site_title: str,
    ready: Callable[[GeneratedPage], object] | None,
) -> list[GeneratedPage]:
    """`generate_site`'s pages, reusing from `reuse` what is unchanged (and keeping the rest)."""
    paths = builder.paths
    site = (
        builder.settings,
        site_title,
        templates_stamp(overrides),
        [(i.key, i.id, paths.incident(i), i.document.path) for i in corpus.incidents],
        builder.unbuilt_targets(corpus),
    )
    same_site = reuse.site == site
    reuse.site = site
    # Related incidents are found from the front matter alone (core/related.py).
    front_matter = [(i.model, i.document.path) for i in corpus.incidents]
    known = reuse.related[1] if reuse.related and reuse.related[0] == front_matter else None
    reuse.related = (front_matter, builder.related(corpus, known))
    reuse.made = 0
    previous, reuse.incidents = reuse.incidents, {}

    def incident_page(incident: Incident) -> GeneratedPage:
        inputs = (
            incident.document,
            incident.model,
            incident.metrics,
            builder.related(corpus).get(incident.id),
            builder.problems_of(corpus, incident.document.display_path),
        )
        kept = previous.get(incident.key)
        if same_site and kept is not None and kept[0] == inputs:
            page = kept[1]
        else:
            page = builder.incident_page(incident, corpus)
            reuse.made += 1
        reuse.incidents[incident.key] = (inputs, page)
        return page

    generated = builder.incident_pages(corpus, incident_page, ready)
    inputs = (
        [(i.model, i.metrics, i.document.display_path) for i in corpus.incidents],
        corpus.problems,
        corpus.files,
        corpus.unbuilt,
    )
    kept = reuse.aggregates
    if same_site and kept is not None and kept[0] == inputs:
        for path, what in kept[2]:
            paths.claim(path, what)
        return generated + kept[1]
    with paths.recording() as claims:
        aggregates = _aggregates(builder, corpus, site_title)
    reuse.made += len(aggregates)
    reuse.aggregates = (inputs, aggregates, claims)
    return generated + aggregates


def build_site(
    corpus: Corpus,
    settings: Settings,
    overrides: Path | None = None,
    site_title: str = "Post-mortems",
) -> list[GeneratedPage]:
    """Every generated file of the site, from every provider (`generate_site` also gives the
    collisions, which an engine must report)."""
    return generate_site(corpus, settings, overrides, site_title).pages
