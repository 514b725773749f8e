"""The whole generated site: every page provider, in order, run over one Corpus."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ..core.collector import collector_paused
from ..core.corpus import Corpus, without_drafts
from ..core.settings import Settings
from .analytics_pages import analytics_provider
from .learning_pages import learning_pages
from .pages import GeneratedPage, PageBuilder

Provider = Callable[[PageBuilder, Corpus, str], Iterable[GeneratedPage]]
"""A feature that adds pages or files: (builder, corpus, site title) -> generated files."""


def _core(builder: PageBuilder, corpus: Corpus, site_title: str) -> Iterable[GeneratedPage]:
    return builder.core_pages(corpus, site_title)


PROVIDERS: list[Provider] = [
    _core,
    analytics_provider,
    learning_pages,
]


def build_site(
    corpus: Corpus,
    settings: Settings,
    overrides: Path | None = None,
    site_title: str = "Post-mortems",
) -> list[GeneratedPage]:
    """Every generated file of the site, from every provider."""
    if not settings.include_drafts:
        corpus = without_drafts(corpus)
    builder = PageBuilder(settings, overrides)
    with collector_paused():
        return [page for provider in PROVIDERS for page in provider(builder, corpus, site_title)]
