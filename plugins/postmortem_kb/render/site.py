"""The whole generated site: every page provider, in order, run over one Corpus."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..core.collector import collector_paused
from ..core.corpus import Corpus, without_drafts
from ..core.settings import Settings
from .analytics_pages import analytics_provider
from .learning_pages import learning_pages
from .pages import GeneratedPage, PageBuilder
from .paths import Collision, SitePaths

Provider = Callable[[PageBuilder, Corpus, str], Iterable[GeneratedPage]]
"""A feature that adds pages or files: (builder, corpus, site title) -> generated files."""


def _core(builder: PageBuilder, corpus: Corpus, site_title: str) -> Iterable[GeneratedPage]:
    return builder.core_pages(corpus, site_title)


PROVIDERS: list[Provider] = [
    _core,
    analytics_provider,
    learning_pages,
]


@dataclass
class Site:
    """The generated files of one build, the paths they were named by, and the collisions."""

    pages: list[GeneratedPage]
    """One file per path: of two claims on one path only the first is here."""
    paths: SitePaths
    collisions: list[Collision]
    """Every path two sources claimed (errors: a strict build fails on them)."""


def site_corpus(corpus: Corpus, settings: Settings) -> Corpus:
    """The incidents the site has pages for: drafts only when `include_drafts` is on."""
    return corpus if settings.include_drafts else without_drafts(corpus)


def generate_site(
    corpus: Corpus,
    settings: Settings,
    overrides: Path | None = None,
    site_title: str = "Post-mortems",
) -> Site:
    """Every generated file of the site, from every provider, and the collisions between them."""
    corpus = site_corpus(corpus, settings)
    builder = PageBuilder(settings, overrides, corpus)
    with collector_paused():
        generated = [page for p in PROVIDERS for page in p(builder, corpus, site_title)]
    paths = builder.paths
    pages: dict[str, GeneratedPage] = {}
    for page in generated:
        if not paths.is_claimed(page.path):  # a file no path method named
            paths.claim(page.path, f"the generated file {page.path}")
        pages.setdefault(paths.dest(page.path), page)
    collisions = paths.collisions(page.path for page in generated)
    return Site(list(pages.values()), paths, collisions)


def build_site(
    corpus: Corpus,
    settings: Settings,
    overrides: Path | None = None,
    site_title: str = "Post-mortems",
) -> list[GeneratedPage]:
    """Every generated file of the site, from every provider (`generate_site` also gives the
    collisions, which an engine must report)."""
    return generate_site(corpus, settings, overrides, site_title).pages
