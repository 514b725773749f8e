"""`mkdocs serve` rebuilds, run in process as serve runs them: one plugin across builds."""

from __future__ import annotations

import gc
import json
import os
import time
import weakref
from pathlib import Path

import pytest
import yaml
from conftest import (
    EXAMPLE,
    REFERENCE_EPOCH,
    build_in_process,
    copy_examples,
    search_index_docs,
)
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from postmortem_kb.core.collector import IdleCollector


def _page_of(post_mortem: Path) -> str:
    """The site path of a post-mortem's page (from its id)."""
    front = post_mortem.read_text(encoding="utf-8").split("---\n", 2)[1]
    return f"incidents/{yaml.safe_load(front)['id'].lower()}/"


def _serve_builds(project: Path, *, dirty: bool) -> tuple[object, object]:
    """A config and plugin set up as `mkdocs serve [--dirty]` does before its first build."""
    # MkDocs keeps plugins with `on_startup` for the whole process, to reuse them across serve's
    # rebuilds: a new serve starts with none (else Material's search keeps an earlier test's pages).
    MkDocsConfig.plugins.plugin_cache.clear()
    config = load_config(config_file=str(project / "mkdocs.yml"), site_dir=str(project / "site"))
    config.plugins.on_startup(command="serve", dirty=dirty)
    return config, config.plugins["postmortem-kb"]


def test_dirty_rebuild_renders_only_pages_whose_source_changed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", REFERENCE_EPOCH)
    monkeypatch.chdir(project)
    files = copy_examples(project)
    config, plugin = _serve_builds(project, dirty=True)
    build(config, dirty=True)  # type: ignore[arg-type]
    site = project / "site"
    edited, untouched = files[0], files[1]
    edited_page, untouched_page = (site / _page_of(path) / "index.html" for path in files[:2])
    assert edited_page.is_file() and untouched_page.is_file()
    for page in (edited_page, untouched_page):
        os.utime(page, (1, 1))  # so a rewrite shows in the mtime

    edited.write_text(
        edited.read_text(encoding="utf-8") + "\nA sentence added while serving.\n",
        encoding="utf-8",
    )
    # serve loads the config again for every rebuild; MkDocs keeps plugins with on_startup.
    again = load_config(config_file=str(project / "mkdocs.yml"), site_dir=str(site))
    assert again.plugins["postmortem-kb"] is plugin
    build(again, dirty=True)

    assert "A sentence added while serving." in edited_page.read_text(encoding="utf-8")
    assert edited_page.stat().st_mtime > 1
    assert untouched_page.stat().st_mtime == 1  # same generated source: not rendered again
    # The search index is written again whole: the edit is in it, the untouched page still is.
    docs = {doc["url"]: doc for doc in search_index_docs(site)}
    assert {_page_of(edited), _page_of(untouched)} <= docs.keys()
    assert "A sentence added while serving." in json.dumps(docs[_page_of(edited)])


def test_serving_shows_why_a_broken_file_has_no_page(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", REFERENCE_EPOCH)
    monkeypatch.chdir(project)
    folder = project / "postmortems"
    text = EXAMPLE.read_text(encoding="utf-8")
    broken = text.replace("severity:", "'<b>severty</b>':", 1)
    (folder / "checkout.md").write_text(broken, encoding="utf-8")
    (folder / "INC-2025-009-notes.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    long_name = "INC-2025-010-" + "very-long-file-name-" * 4 + "end.md"
    (folder / long_name).write_text("---\nid: [x]\n---\n", encoding="utf-8")
    config, _ = _serve_builds(project, dirty=False)
    build(config)  # type: ignore[arg-type]
    site = project / "site"

    # Where the incident page was (by its id), a page says why it is gone, line by line.
    page = (site / "incidents/inc-2025-007/index.html").read_text(encoding="utf-8")
    line = broken.split("\n").index("'<b>severty</b>': SEV-1") + 1
    assert "<title>INC-2025-007: not built" in page and "Not built" in page
    assert "<code>postmortems/checkout.md</code> has 2 errors" in page
    assert f"line {line}, <code>&lt;b&gt;severty&lt;/b&gt;</code>: unknown field" in page
    assert "line 1, <code>severity</code>: required field is missing" in page
    assert "<b>" not in page.split('class="pmkb-lifecycle', 1)[1]
    # A file without a usable id: by its file name.
    unreadable = (site / "incidents/inc-2025-009-notes/index.html").read_text(encoding="utf-8")
    assert "front matter</code>: YAML error" in unreadable
    cut = ("inc-2025-010-" + "very-long-file-name-" * 4)[:64].rstrip("-")  # ids are at most 64
    assert "<code>id</code>" in (site / f"incidents/{cut}/index.html").read_text(encoding="utf-8")
    # Out of search, lists and figures.
    assert not [doc for doc in search_index_docs(site) if doc["id"].startswith("INC-2025")]
    assert "INC-2025-007" not in (site / "incidents/index.html").read_text(encoding="utf-8")

    # Fixed and saved: the incident page is back.
    (folder / "checkout.md").write_text(text, encoding="utf-8")
    build(load_config(config_file=str(project / "mkdocs.yml"), site_dir=str(site)))
    page = (site / "incidents/inc-2025-007/index.html").read_text(encoding="utf-8")
    assert "Not built" not in page and "Checkout unavailable" in page


def test_a_published_build_has_no_page_for_a_broken_file(project: Path) -> None:
    (project / "postmortems" / "checkout.md").write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("severity:", "severty:", 1), encoding="utf-8"
    )
    result = build_in_process(project, strict=False)
    assert result.returncode == 0, result.log
    # A misspelt key is one problem, not also "severity: required field is missing".
    line = EXAMPLE.read_text(encoding="utf-8").split("\n").index("severity: SEV-1") + 1
    assert f"checkout.md:{line}: severty: unknown field; did you mean 'severity'?" in result.log
    assert "required field is missing" not in result.log
    assert not (result.site / "incidents/inc-2025-007").exists()


def test_serving_a_yaml_error_gives_the_not_built_page_its_line_and_a_banner(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", REFERENCE_EPOCH)
    monkeypatch.chdir(project)
    folder = project / "postmortems"
    text = EXAMPLE.read_text(encoding="utf-8")
    lines = text.split("\n")
    title = next(i for i, line in enumerate(lines) if line.startswith("title: "))
    lines[title] = lines[title].replace("title: ", 'title: "unclosed ', 1)  # a quote left open
    # The file name is not the id: the "not built" page still sits at the incident's address.
    (folder / "checkout-outage.md").write_text("\n".join(lines), encoding="utf-8")
    published = text.replace("id: INC-2025-007", "id: INC-2025-008").replace(
        "Burn-rate alert fired within 7 minutes.", "Dave forgot to run the migration."
    )
    (folder / "INC-2025-008.md").write_text(published, encoding="utf-8")
    config, _ = _serve_builds(project, dirty=False)
    build(config)  # type: ignore[arg-type]
    site = project / "site"

    page = (site / "incidents/inc-2025-007/index.html").read_text(encoding="utf-8")
    assert "<code>postmortems/checkout-outage.md</code> has 1 error" in page
    assert f"line {title + 1}, <code>front matter</code>: YAML error: a quoted value opened" in page
    # Home and trends say which files are not built, linking to their pages.
    for url, link in (("", "incidents/inc-2025-007/"), ("trends/", "../incidents/inc-2025-007/")):
        html = (site / url / "index.html").read_text(encoding="utf-8")
        banner = html[html.index("data-unbuilt-banner") :]
        banner = banner[: banner.index("</div>")]
        assert "1 post-mortem file is not built" in banner
        assert (
            f'<a href="{link}"><code>postmortems/checkout-outage.md</code></a>: 1 error' in banner
        )
    # A published post-mortem with findings shows them on its preview page (blame: an error).
    blamed = (site / "incidents/inc-2025-008/index.html").read_text(encoding="utf-8")
    notices = blamed[blamed.index("pmkb-lifecycle--published") : blamed.index("pmkb-card")]
    assert "<strong>Preview</strong>" in notices
    assert 'class="pmkb-notice--error"' in notices and "&#39;Dave&#39;" in notices


def test_a_published_build_has_no_banner_and_no_notices(project: Path) -> None:
    copy_examples(project)
    result = build_in_process(project)
    assert result.returncode == 0, result.log
    for url in ("", "trends/", "incidents/inc-2025-007/"):
        html = (result.site / url / "index.html").read_text(encoding="utf-8")
        assert "data-unbuilt-banner" not in html and "pmkb-lifecycle--published" not in html


def _tree(folder: Path) -> dict[str, bytes]:
    files = (path for path in folder.rglob("*") if path.is_file())
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in files}


def _fresh_serve_build(project: Path, site: Path) -> dict[str, bytes]:
    """The site a new `mkdocs serve` would build first (its own plugins, nothing reused)."""
    kept = dict(MkDocsConfig.plugins.plugin_cache)
    try:
        config, _ = _serve_builds(project, dirty=False)
        config.site_dir = str(site)
        build(config)  # type: ignore[arg-type]
    finally:
        MkDocsConfig.plugins.plugin_cache.clear()
        MkDocsConfig.plugins.plugin_cache.update(kept)
    return _tree(site)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_serve_reuses_unchanged_pages_and_gives_the_site_a_new_serve_gives(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """render/site.py `Reuse`, search_index.py `SearchMemo`, workers.py `memo`: after every kind
    of edit, the rebuilt site is byte for byte the one a new serve builds, and a body edit makes
    only its incident page again."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", REFERENCE_EPOCH)
    monkeypatch.chdir(project)
    files = copy_examples(project)
    folder = project / "postmortems"
    config, plugin = _serve_builds(project, dirty=False)
    build(config)  # type: ignore[arg-type]
    site = project / "site"
    one, two, three = files[0], files[5], files[9]
    original = two.read_text(encoding="utf-8")
    severity = next(line for line in three.read_text().split("\n") if line.startswith("severity:"))
    other = "severity: SEV-3" if "SEV-3" not in severity else "severity: SEV-2"
    edits = [
        ("a body", lambda: _edit(one, "\n## ", "\nA sentence added while serving.\n\n## "), 1),
        ("a body again", lambda: _edit(one, "\nA sentence added while serving.\n", ""), 1),
        ("a title", lambda: _edit(two, "\ntitle: ", "\ntitle: Retitled "), None),
        ("a severity", lambda: _edit(three, severity, other), None),
        ("an error", lambda: _edit(three, "\nid: ", "\nunknown_field: 1\nid: "), None),
        ("a fix", lambda: _edit(three, "\nunknown_field: 1\n", "\n"), None),
        ("a removal", lambda: two.unlink(), None),
        ("an addition", lambda: (folder / "restored.md").write_text(original), None),
        ("nothing", lambda: None, 0),
    ]
    for what, edit, made in edits:
        edit()
        build(load_config(config_file=str(project / "mkdocs.yml"), site_dir=str(site)))
        assert plugin._reuse is not None
        if made is not None:
            assert plugin._reuse.made == made, what
        else:
            assert plugin._reuse.made > 1, what  # aggregates made again
        assert _tree(site) == _fresh_serve_build(project, project / "reference"), what


class _Cycle:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


def _cycle() -> weakref.ref[_Cycle]:
    return weakref.ref(_Cycle())


def test_a_preview_collects_its_garbage_after_a_rebuild_not_during_it() -> None:
    """core/collector.py `IdleCollector`: the collector is off while a rebuild runs, a full
    collection runs shortly after it, and a rebuild that starts first holds it off again."""
    was_enabled = gc.isenabled()
    collector = IdleCollector(delay=0.2)
    try:
        collector.rebuilding()
        assert not gc.isenabled()
        garbage = _cycle()
        gc.collect(0)  # what the rebuild's allocations would start, were the collector on
        collector.built()
        deadline = time.monotonic() + 10
        while (garbage(), gc.isenabled()) != (None, was_enabled) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert garbage() is None and gc.isenabled() == was_enabled

        collector.rebuilding()
        kept = _cycle()
        collector.built()
        collector.rebuilding()  # an edit saved before the collection: it waits for this build
        time.sleep(0.5)
        assert kept() is not None and not gc.isenabled()
        collector.built()
        deadline = time.monotonic() + 10
        while (kept(), gc.isenabled()) != (None, was_enabled) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert kept() is None and gc.isenabled() == was_enabled
    finally:
        if was_enabled:
            gc.enable()
