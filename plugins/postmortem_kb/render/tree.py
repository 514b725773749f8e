"""The finished docs tree (`postmortem render`): hand-written pages, every generated page with
its bodies pre-rendered and sanitised (bodies.py), data files and assets, for any engine that
builds a Material docs folder as is; and that engine's config, written from mkdocs.yml."""

from __future__ import annotations

import dataclasses
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..core.corpus import Corpus
from ..core.options import PLUGIN_NAME, SiteConfig
from .pages import asset_text
from .paths import CSS, OVERRIDABLE, is_page
from .sanitize import BODY_START
from .site import generate_site
from .workers import DEFAULT_BUDGET, Job, render_bodies


@dataclass
class RenderedTree:
    """What `render_tree` wrote and what it had to report."""

    written: int = 0
    """Generated files written."""
    kept: list[str] = dataclasses.field(default_factory=list)
    """Messages: a hand-written page replaces a generated one on purpose (OVERRIDABLE)."""
    collisions: list[str] = dataclasses.field(default_factory=list)
    """Messages: two sources claimed one path (errors, as in a build; the first is kept)."""
    failures: list[str] = dataclasses.field(default_factory=list)
    """Messages: a page whose body could not be rendered (errors; the page is written)."""


def render_tree(
    corpus: Corpus,
    site: SiteConfig,
    out: Path,
    *,
    workers: int | None = None,
    budget: float = DEFAULT_BUDGET,
) -> RenderedTree:
    """Write the whole docs tree of the site into `out` (emptied first); Markdown pages are
    rendered by `workers` processes (default: every core), each page within `budget` seconds."""
    docs = site.docs_dir
    if out.exists():
        shutil.rmtree(out)
    if docs.is_dir():
        shutil.copytree(docs, out)
    else:
        out.mkdir(parents=True)
    hand_written = frozenset(
        path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file()
    )
    pages = frozenset(uri for uri in hand_written if is_page(uri))
    settings = dataclasses.replace(site.settings(), docs_pages=pages)
    generated = generate_site(corpus, settings, site.overrides, site.site_name)
    result = RenderedTree(collisions=[c.message() for c in generated.collisions])
    files: dict[str, str | bytes] = {}
    taken = {generated.paths.dest(uri) for uri in hand_written}
    for page in generated.pages:
        if generated.paths.dest(page.path) in taken:
            claimant = generated.paths.claimant(page.path)
            name = (docs / page.path).as_posix()
            if page.path in OVERRIDABLE:
                result.kept.append(f"{name} (hand-written) replaces {claimant}")
            else:  # as in a build: an error, the hand-written page is kept
                result.collisions.append(f"{name} (hand-written) and {claimant} claim one page")
        else:
            files[page.path] = page.content
    # Only pages with author bodies need Markdown here; the rest are written as generated.
    jobs = {
        page.path: Job.of_page(page)
        for page in generated.pages
        if isinstance(content := files.get(page.path), str) and BODY_START in content
    }
    rendered, result.failures = render_bodies(
        list(jobs.values()),
        site.markdown_extensions,
        site.markdown_configs,
        workers=workers,
        budget=budget,
    )
    files.update(zip(jobs, rendered, strict=True))
    for path, content in files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        result.written += 1
    (out / CSS).parent.mkdir(parents=True, exist_ok=True)
    (out / CSS).write_text(asset_text(CSS), encoding="utf-8")
    return result


def engine_config(site: SiteConfig, config_file: Path, docs: Path, target: Path) -> None:
    """Write `target`: the site's mkdocs.yml for an engine that builds the rendered tree `docs`
    as is: `docs_dir` pointing at it, without this plugin, with its stylesheet, other folders
    relative to `target`'s folder."""
    data: dict[str, Any] = dict(site.data)
    here = target.parent.resolve()

    def relative(path: Path) -> str:
        return Path(os.path.relpath(path.resolve(), here)).as_posix()

    data["docs_dir"] = relative(docs)
    data["site_dir"] = "site"
    theme = data.get("theme")
    if isinstance(theme, dict) and isinstance(theme.get("custom_dir"), str):
        data["theme"] = {**theme, "custom_dir": relative(config_file.parent / theme["custom_dir"])}
    plugins = data.get("plugins") or []
    if isinstance(plugins, dict):
        plugins = [{name: value} for name, value in plugins.items()]
    data["plugins"] = [
        entry
        for entry in plugins
        if entry != PLUGIN_NAME and not (isinstance(entry, dict) and PLUGIN_NAME in entry)
    ]
    extra_css = data.get("extra_css") or []
    data["extra_css"] = [*extra_css, CSS] if CSS not in extra_css else extra_css
    target.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(_plain(data), sort_keys=False, allow_unicode=True)
    target.write_text(text, encoding="utf-8")


def _plain(value: object) -> object:
    """`value` with MkDocs' `!relative` paths as the absolute paths they stand for (one relative
    to each page, which no config file can say, as nothing)."""
    if isinstance(value, os.PathLike):
        try:
            return os.path.abspath(os.fspath(value))
        except ValueError:
            return None
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
