"""Finding and learning: the search script, the incident explorer, the lessons-learned reading
path and the feed."""

from __future__ import annotations

from collections.abc import Iterable

from ..core.corpus import Corpus
from .explorer import explorer_pages
from .feed import feed_file
from .lessons import lessons_page
from .pages import GeneratedPage, PageBuilder
from .search_index import search_script


def learning_pages(
    builder: PageBuilder, corpus: Corpus, site_title: str
) -> Iterable[GeneratedPage]:
    """The provider of this feature (related incidents are rendered on the incident pages)."""
    yield search_script()
    yield from explorer_pages(builder, corpus, site_title)
    yield lessons_page(builder, corpus)
    yield feed_file(builder, corpus, site_title)
