"""The MkDocs adapter: plugin events that load the corpus and add the generated pages as Files."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import jinja2.bccache
from mkdocs.config import base
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from ...core.anchors import safe_anchor
from ...core.collector import IdleCollector
from ...core.corpus import Corpus, CorpusLoader
from ...core.loader import display_path
from ...core.options import Options, OptionsError, validate_options
from ...core.problems import Level, printable
from ...render.bodies import FinishedPage, without_front_matter
from ...render.cache import PageCache
from ...render.pages import GeneratedPage, asset_text
from ...render.paths import CSS, OVERRIDABLE, SEARCH_SCRIPT, SitePaths, folder_index, is_page
from ...render.sanitize import sanitize_body_regions
from ...render.search_index import (
    SearchMemo,
    search_loader,
    write_search_index,
    write_search_index_apart,
)
from ...render.site import Reuse, generate_site
from ...render.workers import Background, FinishedMemo, Job, PageFinisher
from .navigation import NavigationOnce

log = logging.getLogger("mkdocs.plugins.postmortem_kb")

_THEME_LISTING = "<!-- material/tags"
"""A page that asks Material's tags plugin for a listing is left to MkDocs to convert: the
listing (and its table of contents) is the theme's. Such a page holds no author text."""


def _safe_toc(items: Any) -> None:
    """Give every table-of-contents entry a safe anchor (anchors.py), in place.

    Themes print `page.toc` outside the sanitised body, unescaped. Author bodies cannot set ids
    any more (their attribute lists are text before Markdown runs); this holds the same rule for
    any id another extension or a hand-written page might set.
    """
    for item in items:
        item.id = safe_anchor(item.id)
        _safe_toc(item.children)


def _front_matter(path: str, text: str | bytes) -> str | None:
    """The front matter of a generated page the core finishes (MkDocs reads only that, for
    page.meta); None for a file, or a page MkDocs converts (`_THEME_LISTING`)."""
    if not isinstance(text, str) or not is_page(path) or _THEME_LISTING in text:
        return None
    return text[: len(text) - len(without_front_matter(text))]


def _pages_of(items: list[Any]) -> Iterator[Page]:
    """Every page of a nav tree in reading order (what MkDocs uses for previous/next links)."""
    for item in items:
        if isinstance(item, Page):
            yield item
        elif isinstance(item, Section):
            yield from _pages_of(item.children)


class _PrintableRecords(logging.Filter):
    """Shows control characters in a log line as escapes (problems.printable).

    Author text reaches MkDocs' own messages too: a body's link `[x](a%0A::error::b.md)` is
    reported with its target unquoted, a line break and all, which GitHub Actions would run
    as a workflow command.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        shown = printable(message)
        if shown != message:
            record.msg, record.args = shown, None
        return True


def _escape_mkdocs_logs() -> None:
    """Put `_PrintableRecords` on every handler of MkDocs' logger (once)."""
    for handler in logging.getLogger("mkdocs").handlers:
        if not any(isinstance(f, _PrintableRecords) for f in handler.filters):
            handler.addFilter(_PrintableRecords())


class _GeneratedFile(File):
    """A generated page or file; a `--dirty` rebuild skips it when its content is unchanged."""

    unchanged = False

    def is_modified(self) -> bool:
        return not self.unchanged and super().is_modified()


class _FinishedPage(Page):
    """A generated page the core has finished (render/bodies.py): MkDocs places its HTML, table
    of contents and title instead of converting its Markdown (as Material's blog plugin gives
    MkDocs page classes of its own). `on_nav` makes the pages MkDocs created for generated
    files into these, so they keep the titles the nav gives them.

    MkDocs converts every page before it writes any and keeps each page's `content` to the end:
    here it stays packed (`_PACKED`) and is unpacked when read, the last page read kept at
    hand (`_Unpacked`), so only the page being written is held as text. Content another plugin
    changes is kept as it set it.
    """

    finished: FinishedPage

    @property
    def content(self) -> str | None:
        value = self.__dict__.get("content")
        return _UNPACKED.html(self.finished) if value is _PACKED else value

    @content.setter
    def content(self, value: str | None) -> None:
        if value is not None and _UNPACKED.gave(self.finished, value):
            value = _PACKED
        self.__dict__["content"] = value

    def render(self, config: MkDocsConfig, files: Files) -> None:
        self.__dict__["content"] = _PACKED
        self.toc = get_toc(self.finished.toc)  # type: ignore[arg-type]
        self._title_from_render = self.finished.title
        self.present_anchor_ids = set(self.finished.anchors)
        self.links_to_anchors = None  # every link in it was made by the core from SitePaths


_PACKED: Any = object()
"""A finished page's `content` while it is its finished HTML, packed."""


class _Unpacked:
    """The finished page whose HTML was last unpacked, and that text: reading `content` twice
    (the theme, a plugin) unpacks it once."""

    def __init__(self) -> None:
        self._page: FinishedPage | None = None
        self._html = ""

    def html(self, page: FinishedPage) -> str:
        if page is not self._page:
            self._page, self._html = page, page.html
        return self._html

    def gave(self, page: FinishedPage, value: str) -> bool:
        """Whether `value` is the very text last unpacked from `page`."""
        return page is self._page and value is self._html


_UNPACKED = _Unpacked()


class _CompiledTemplates(jinja2.BytecodeCache):
    """The theme's templates as compiled in an earlier build of this preview. MkDocs makes a new
    Jinja environment on every rebuild, which compiles every template again (0.7 s of a rebuild);
    Jinja reuses a compiled template only while its source is unchanged (its checksum)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


class _NoScheme(base.Config):
    """MkDocs' config of the plugin: empty, the options are the core's model (load_config)."""


class PostmortemPlugin(BasePlugin[_NoScheme]):
    """Turns the post-mortems folder into incident pages, indexes and a home page.

    Its options are the core's model (core/options.py), not a MkDocs config scheme.
    """

    def __init__(self) -> None:
        self.loader: CorpusLoader | None = None
        self.corpus: Corpus | None = None
        self._generated: set[str] = set()
        """Source URIs of the pages this plugin generated (finished by the core)."""
        self._previous: dict[str, int] = {}
        """Hash of each generated file's content in the previous build (kept across serve)."""
        self._fronts: dict[bytes, str] = {}
        """A preview's front matter of each page the core finished, by its packed text."""
        self._serving = False
        self._reuse: Reuse | None = None
        """A preview's previous pages, reused where their inputs are unchanged (render/site.py)."""
        self._search_memo: SearchMemo | None = None
        """A preview's previous search index entries (render/search_index.py)."""
        self._finished_memo: FinishedMemo | None = None
        """A preview's finished pages of the previous build (render/workers.py)."""
        self._collector: IdleCollector | None = None
        """A preview's garbage collector, held off while it rebuilds (core/collector.py)."""
        self._built = False
        self._templates: _CompiledTemplates | None = None
        """A preview's compiled theme templates, kept across rebuilds."""
        self._search: Background | None = None
        self._finished: dict[str, FinishedPage] = {}
        """Each generated page's finished HTML, by source URI (placed by `_FinishedPage`)."""
        self.options = Options()
        self._paths: SitePaths | None = None
        self._incident_pages: set[str] = set()
        """Source URIs of the incident pages (they light up the Incidents tab)."""
        self._incidents_index = ""
        self._nav_uris: set[str] = set()
        self._incidents_item: Page | None = None
        self._active_section: Page | None = None

    def load_config(
        self, options: dict[str, Any], config_file_path: str | None = None
    ) -> tuple[list[Any], list[Any]]:
        """Validate the options with the core's model: each bad value is one ERROR line.

        MkDocs stops at the first option that fails (a configuration error), so stopping here
        with every line of ours loses nothing; nor does it give a traceback.
        """
        try:
            self.options = validate_options(options, config_file_path or "mkdocs.yml")
        except OptionsError as exc:
            for line in exc.lines:
                log.error(line)
            raise Abort("Aborted with a configuration error!") from None
        return [], []

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Keeps the plugin (and its parse cache) across `mkdocs serve` rebuilds; notes serve.

        Serving is a preview: files with errors get a page that lists them (Settings.preview).
        """
        self._serving = command == "serve"
        self._reuse = Reuse() if self._serving else None
        self._collector = IdleCollector() if self._serving else None
        self._built = False
        self._search_memo = SearchMemo() if self._serving else None
        self._finished_memo = FinishedMemo() if self._serving else None
        self._templates = _CompiledTemplates() if self._serving else None
        _escape_mkdocs_logs()

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        _escape_mkdocs_logs()  # also when a build is started without on_startup
        if self._collector is not None and self._built:
            self._collector.rebuilding()  # a preview's rebuild: no full collection in it
        root = Path(config.config_file_path).parent
        self.source_dir = (root / self.options.postmortems_dir).resolve()
        self.root = root
        self.settings = self.options.settings(
            use_directory_urls=config.use_directory_urls, preview=self._serving
        )
        cache_dir = self.options.cache_dir
        wanted = (
            self.settings.regulations,
            self.options.lint.config(),
            self.settings.follow_up,
            None if cache_dir is None else root / cache_dir,
            self.options.workers,
        )
        loader = self.loader
        if loader is None or wanted != (
            loader.registry,
            loader.lint,
            loader.follow_up,
            loader.cache_dir,
            loader.workers,
        ):
            self.loader = CorpusLoader(*wanted)
        custom_dir = config.theme.custom_dir
        self.overrides = Path(custom_dir) if custom_dir else None
        if CSS not in config.extra_css:
            config.extra_css.append(CSS)
        if "search" in config.plugins or "material/search" in config.plugins:
            log.info(
                "postmortem-kb: the theme's search plugin is enabled besides the plugin's own"
                " search; it downloads its whole index on every page view (remove `- search`"
                " from plugins, see docs/guide/finding.md)"
            )
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.loader is not None
        if not self.source_dir.is_dir():
            log.warning(f"postmortems_dir: folder {self.source_dir} does not exist")
            corpus = Corpus([], [])
        else:
            corpus = self.loader.load(self.source_dir, self.root)
        self.corpus = corpus
        for problem in corpus.problems:
            # Errors (incl. lint rules set to 'error') fail `--strict`; lint warnings are shown
            # at INFO so they are visible in every build without failing a strict one.
            level = logging.WARNING if problem.level is Level.ERROR else logging.INFO
            log.log(level, problem.format())
        log.info(
            f"{len(corpus.files)} post-mortem files, {len(corpus.incidents)} valid,"
            f" {self.loader.files_parsed} parsed this build,"
            f" {self.loader.files_cached} from the file cache"
        )
        docs_dir = Path(config.docs_dir)
        self._generated = set()
        self._nav_pages: list[File] = []
        docs_pages = frozenset(file.src_uri for file in files.documentation_pages())
        previous, self._previous = self._previous, {}
        settings = dataclasses.replace(self.settings, docs_pages=docs_pages)
        fronts, self._fronts = self._fronts, {}
        with self._finishing(config, len(corpus.incidents)) as finisher:
            # Each incident page goes to the worker processes as soon as it is made: they
            # render it while this process makes the others.
            streamed: dict[GeneratedPage, tuple[str | bytes, int | None]] = {}

            def ready(page: GeneratedPage) -> None:
                text, finished = self._content(page, fronts)
                streamed[page] = (text, finisher.add(Job.of_page(page)) if finished else None)

            site = generate_site(
                corpus, settings, self.overrides, config.site_name, self._reuse, ready
            )
            if self._reuse is not None:
                log.info(f"postmortem-kb: {self._reuse.made} pages made again, the rest reused")
            self._incidents_index = site.paths.incidents_index
            self._incident_pages = set()
            for collision in site.collisions:
                log.warning(f"postmortem-kb: {collision.message()}")
            self._paths = site.paths
            pages, site.pages = site.pages, []  # each page's text lives on in its File only
            by_dest = {file.dest_uri: file for file in files}
            placed: list[tuple[_GeneratedFile, int]] = []
            for page in pages:
                kept = streamed.pop(page, None)
                index = None
                if kept is not None:  # an incident page, already with the finisher
                    (text, index), finish_here = kept, False
                else:
                    text, finish_here = self._content(page, fronts)
                # With an explicit nav, on_nav places the in_nav pages itself; without one,
                # MkDocs lists them. Either way no generated page is reported as "not in nav".
                in_auto_nav = page.in_nav and config.nav is None
                inclusion = InclusionLevel.UNDEFINED if in_auto_nav else InclusionLevel.NOT_IN_NAV
                file = _GeneratedFile.generated(
                    config, page.path, content=text, inclusion=inclusion
                )
                assert isinstance(file, _GeneratedFile)
                own = files.get_file_from_path(page.path) or by_dest.get(file.dest_uri)
                if own is not None:
                    self._hand_written(own, page.path, site.paths.claimant(page.path), docs_dir)
                    continue
                digest = hash(page.packed)
                file.unchanged = previous.get(file.src_uri) == digest
                self._previous[file.src_uri] = digest
                if page.source is not None:
                    # Percent-encoded: the theme prints the edit URL into an attribute unescaped.
                    source = Path(os.path.relpath(self.root / page.source, docs_dir)).as_posix()
                    file.edit_uri = quote(source, safe="/")
                files.append(file)
                self._generated.add(file.src_uri)
                if page.source is not None:
                    self._incident_pages.add(file.src_uri)
                if page.in_nav:
                    self._nav_pages.append(file)
                if finish_here:
                    index = finisher.add(Job.of_page(page))
                if index is not None:
                    placed.append((file, index))
            del pages
            streamed.clear()  # pages no file took (a collision)
            self._finish(placed, finisher)
        if not self._serving:
            # Made and written by a worker process while MkDocs builds the pages (once the
            # finisher's workers are gone: the three would not fit in the build's memory); a
            # preview patches its index in place after its rebuild (on_post_build).
            self._search = Background(
                write_search_index_apart, corpus, self.settings, Path(config.site_dir)
            )
        files.append(File.generated(config, CSS, content=asset_text(CSS)))
        return files

    def _content(self, page: GeneratedPage, fronts: dict[bytes, str]) -> tuple[str | bytes, bool]:
        """What MkDocs gets of a generated file, and whether the core finishes it: a page the
        core finishes goes to it packed, as the page holds it, and MkDocs gets its front matter.
        A preview keeps each front matter by its page's packed text: a rebuild unpacks only the
        pages it made again."""
        front = fronts.get(page.packed)
        text = page.content if front is None else front
        if front is None:
            front = _front_matter(page.path, text)
        if front is not None:
            if self._serving:
                self._fronts[page.packed] = front
            return front, True
        if isinstance(text, str) and not is_page(page.path):
            text = text.encode("utf-8")  # half the memory of most strings until written
        return text, False

    @contextlib.contextmanager
    def _finishing(self, config: MkDocsConfig, expected: int) -> Iterator[PageFinisher]:
        """The core's finisher of this build's pages (render/workers.py), with the page cache;
        both closed when the block ends."""
        cache = None
        if self.options.cache_dir is not None:
            cache = PageCache(self.root / self.options.cache_dir)
        try:
            with PageFinisher(
                "finish",
                config.markdown_extensions,
                config.mdx_configs or {},
                expected=expected,
                workers=self.options.workers,
                budget=self.options.render_budget,
                cache=cache,
                memo=self._finished_memo,
            ) as finisher:
                yield finisher
        finally:
            if cache is not None:
                cache.close()

    def _finish(self, placed: list[tuple[_GeneratedFile, int]], finisher: PageFinisher) -> None:
        """Wait for the core to finish every generated page (in worker processes, from the cache
        where it can) and give each file its finished page."""
        result = finisher.result()
        for failure in result.failures:
            log.warning(f"postmortem-kb: {printable(failure)}")
        self._finished = {file.src_uri: result.pages[index] for file, index in placed}
        log.info(
            f"postmortem-kb: {len(result.pages)} generated pages, {result.cached} from the"
            f" cache, {len(result.pages) - result.cached} rendered"
        )

    def _hand_written(self, own: File, path: str, claimant: str, docs_dir: Path) -> None:
        """A hand-written file in docs/ on a generated page's path: it is kept, as intended for
        the pages in OVERRIDABLE (docs/index.md replaces the home page), else an error naming
        both (a post-mortem, an owner or a service must not hide or be hidden by a page)."""
        name = display_path(docs_dir / own.src_uri, self.root)
        if path in OVERRIDABLE:
            log.info(f"postmortem-kb: {name} replaces {claimant}")
        else:
            log.warning(
                f"postmortem-kb: {name} (hand-written) and {claimant} claim the same page"
                f" {own.dest_uri}; the hand-written page is kept"
            )

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        """Put generated pages marked `in_nav` (e.g. quarter pages) into an explicit nav.

        A page goes into the section that lists its folder's index page, after it. Without an
        explicit nav MkDocs already lists them; pages with no such section stay out of it.
        """
        by_uri = {page.file.src_uri: page for page in nav.pages}
        added = False
        for file in self._nav_pages:
            if file.src_uri in by_uri:
                continue
            index_page = by_uri.get(folder_index(file.src_uri))
            section = index_page.parent if index_page is not None else None
            if section is None:
                continue
            page = file.page if file.page is not None else Page(None, file, config)
            page.parent = section
            section.children.append(page)
            by_uri[file.src_uri] = page
            added = True
        if added:
            nav.pages = list(_pages_of(nav.items))
        for file in files.documentation_pages():
            finished = self._finished.get(file.src_uri)
            if finished is not None and file.page is not None:
                file.page.__class__ = _FinishedPage
                assert isinstance(file.page, _FinishedPage)
                file.page.finished = finished
        self._nav_uris = {page.file.src_uri for page in nav.pages}
        self._incidents_item = next(
            (page for page in nav.pages if page.file.src_uri == self._incidents_index), None
        )
        return nav

    def on_page_markdown(
        self, markdown: str, *, page: Any, config: MkDocsConfig, files: Files
    ) -> str:
        """A generated page outside the nav (an incident, a regulation, an owner...) would show
        an empty navigation sidebar on a desktop: it is hidden there (the phone drawer keeps it).
        """
        if page.file.src_uri in self._generated and page.file.src_uri not in self._nav_uris:
            hide = page.meta.get("hide") or []
            if isinstance(hide, list) and "navigation" not in hide:
                page.meta["hide"] = [*hide, "navigation"]
        return markdown

    def on_page_content(self, html: str, *, page: Any, config: MkDocsConfig, files: Files) -> str:
        """Generated pages come finished and safe from the core. Any other page's table of
        contents gets the anchor rule (anchors.py), and body markers the body rule (sanitize.py):
        only the core writes them, so none is expected there."""
        if isinstance(page, _FinishedPage):
            return html
        _safe_toc(page.toc)
        return sanitize_body_regions(html)

    def on_page_context(self, context: Any, *, page: Any, config: Any, nav: Any) -> Any:
        """An incident page (outside the nav) marks the Incidents page active for this render,
        so the theme highlights its tab; `on_post_page` clears it again."""
        if page.file.src_uri in self._incident_pages and self._incidents_item is not None:
            self._incidents_item.active = True  # also marks its sections active
            self._active_section = self._incidents_item
        return context

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        """Clear the Incidents tab lit for an incident page; give every page the search box and
        its loader (nothing else of search is loaded until someone searches)."""
        if self._active_section is not None:
            self._active_section.active = False
            self._active_section = None
        if self._paths is None or "</body>" not in output:
            return output
        url = self._paths.url_from(page.file.src_uri)
        loader = search_loader(url(""), url(SEARCH_SCRIPT))
        head, tail = output.rsplit("</body>", 1)
        return f"{head}{loader}\n</body>{tail}"

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        """A preview keeps the theme's compiled templates for its next rebuild; the theme's
        navigation is rendered once for the pages outside the nav (navigation.py)."""
        if self._templates is not None and env.bytecode_cache is None:
            env.bytecode_cache = self._templates
        NavigationOnce.install(env)
        return env

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """The search index (render/search_index.py) is written by now; a preview patches its
        own here, in place, and collects its garbage soon after."""
        self._wait_for_search()
        if self._serving and self.corpus is not None:
            site_dir = Path(config.site_dir)
            write_search_index(self.corpus, self.settings, site_dir, self._search_memo)
        self._after_build()

    def on_build_error(self, *, error: Exception) -> None:
        """A failed build still waits for its search index (no thread is left writing); the
        build's own error is the one reported."""
        try:
            self._wait_for_search()
        except Exception as exc:
            log.warning(f"postmortem-kb: the search index was not written: {printable(str(exc))}")
        self._after_build()

    def _after_build(self) -> None:
        self._built = True
        if self._collector is not None:
            self._collector.built()

    def _wait_for_search(self) -> None:
        if self._search is not None:
            self._search.wait()
            self._search = None

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        server.watch(str(self.source_dir))
        return server
