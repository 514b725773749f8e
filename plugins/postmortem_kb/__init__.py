"""postmortem-kb: a git-native knowledge base of blameless incident post-mortems.

The public API, for engines and scripts; everything else is internal and may move:

    options = read_options(Path("mkdocs.yml"))  # or validate_options(a_dict, "where it came from")
    loader = CorpusLoader(options.registry(), options.lint.config())
    corpus = loader.load(Path(options.postmortems_dir), Path("."))
    for problem in corpus.problems: print(problem.format())
    pages = build_site(corpus, options.settings())
    site = generate_site(corpus, options.settings())  # the same pages, plus the collisions

Layers (each imports only those before it): `core` (schema, loading, validation, lint, figures),
`render` (finished, safe pages), then `engines` (MkDocs adapter) and `cli`.
"""

from .core.corpus import Corpus, CorpusLoader, Incident
from .core.options import Options, OptionsError, read_options, validate_options
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
    "Options",
    "OptionsError",
    "PostMortem",
    "Problem",
    "RegulationRegistry",
    "Settings",
    "Site",
    "build_site",
    "generate_site",
    "read_options",
    "validate_options",
]
