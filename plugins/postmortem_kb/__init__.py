"""postmortem-kb: a git-native knowledge base of blameless incident post-mortems.

The public API, for engines and scripts; everything else is internal and may move:

    corpus = CorpusLoader(RegulationRegistry()).load(Path("postmortems"), Path("."))
    for problem in corpus.problems: print(problem.format())
    pages = build_site(corpus, Settings(reference_date=date.today()))
    site = generate_site(...)  # the same pages, plus collisions between them to report

Layers (each imports only those before it): `core` (schema, loading, validation, lint, figures),
`render` (finished, safe pages), then `engines` (MkDocs adapter) and `cli`.
"""

from .core.corpus import Corpus, CorpusLoader, Incident
from .core.problems import Level, Problem
from .core.regulations import RegulationRegistry
from .core.schema import PostMortem
from .core.settings import Settings
from .render.pages import GeneratedPage
from .render.site import Site, build_site, generate_site

__version__ = "0.1.0"

__all__ = [
    "Corpus",
    "CorpusLoader",
    "GeneratedPage",
    "Incident",
    "Level",
    "PostMortem",
    "Problem",
    "RegulationRegistry",
    "Settings",
    "Site",
    "build_site",
    "generate_site",
]
