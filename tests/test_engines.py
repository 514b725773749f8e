"""One core, three engines (issue 17): MkDocs and ProperDocs run the adapter; Zensical builds the
tree `postmortem render` writes. Each must give every incident its page, with the same facts,
and publish hostile bodies sanitised."""

from __future__ import annotations

import contextlib
import html
import io
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REFERENCE_EPOCH, build_in_process, copy_examples, make_project
from payloads import html_payloads
from postmortem_kb.cli.main import main
from postmortem_kb.engines.mkdocs import navigation
from postmortem_kb.render.bodies import BodyRenderer
from postmortem_kb.render.sanitize import fence_body
from security_corpus import SCRIPT_BODY, TOC_BODY, post_mortem

MARKS = ("pwned", "pmkb-xss")
HOSTILE = {"SEC-2025-001": TOC_BODY, "SEC-2025-007": SCRIPT_BODY}
ENGINES = ("mkdocs", "properdocs", "zensical")
ENV = {**os.environ, "SOURCE_DATE_EPOCH": REFERENCE_EPOCH, "NO_MKDOCS_2_WARNING": "1"}


@dataclass
class Sites:
    ids: list[str]
    """Every incident id of the project."""
    site: dict[str, Path]
    """Engine -> its built site folder."""
    logs: dict[str, str]


def _run(command: list[str], cwd: Path) -> str:
    result = subprocess.run(command, capture_output=True, text=True, env=ENV, cwd=cwd)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    return log


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Sites:
    project = make_project(tmp_path_factory.mktemp("engines"))
    copies = copy_examples(project)
    for incident_id, body in HOSTILE.items():
        (project / "postmortems" / f"{incident_id}.md").write_text(post_mortem(incident_id, body))
    ids = [*(re.search(r"(?m)^id: (.+)$", p.read_text()).group(1) for p in copies), *HOSTILE]  # type: ignore[union-attr]
    config = project / "mkdocs.yml"
    logs = {"mkdocs": build_in_process(project, strict=False).log}
    logs["properdocs"] = _run(
        [sys.executable, "-m", "properdocs", "build", "-f", str(config), "-d", "site-properdocs"],
        project,
    )
    rendered = project / "rendered"
    cli = [sys.executable, "-m", "postmortem_kb.cli.main", "-f", str(config), "render"]
    engine_config = rendered / "mkdocs.yml"
    logs["render"] = _run(
        [*cli, "--out", str(rendered / "docs"), "--engine-config", str(engine_config)], project
    )
    logs["zensical"] = _run([sys.executable, "-m", "zensical", "build", "--clean"], rendered)
    site = {
        "mkdocs": project / "site",
        "properdocs": project / "site-properdocs",
        "zensical": rendered / "site",
    }
    return Sites(ids, site, logs)


def _incident(sites: Sites, engine: str, incident_id: str) -> str:
    return (sites.site[engine] / "incidents" / incident_id.lower() / "index.html").read_text()


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed, permalink signs dropped."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", fragment)).replace("\u00b6", "")
    return " ".join(text.split())


def _facts(page: str) -> dict[str, object]:
    """What an incident page says: title, summary card, executive summary, section headings."""
    card = re.search(r'<div class="pmkb-card .*?</dl>', page, re.S)
    summary = re.search(r'<p class="pmkb-summary">(.*?)</p>', page, re.S)
    return {
        "title": [_text(h) for h in re.findall(r"<h1[^>]*>(.*?)</h1>", page, re.S)],
        "card": _text(card.group(0)) if card else None,
        "summary": _text(summary.group(1)) if summary else None,
        "sections": [_text(h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page, re.S)],
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_every_incident_has_its_page_with_the_same_facts(sites: Sites, engine: str) -> None:
    for incident_id in sites.ids:
        page = _incident(sites, engine, incident_id)
        assert 'postmortem-kb/postmortem-kb.css"' in page  # styled as in the MkDocs build
        facts = _facts(page)
        assert facts["card"] and facts["summary"] and facts["title"], (engine, incident_id)
        assert facts == _facts(_incident(sites, "mkdocs", incident_id)), (engine, incident_id)


@pytest.mark.parametrize("engine", ENGINES)
def test_hostile_bodies_come_out_sanitised(sites: Sites, engine: str) -> None:
    toc = _incident(sites, engine, "SEC-2025-001")
    assert "Text under a heading whose id breaks out" in toc  # the body itself is kept
    assert "Summary with" in _incident(sites, engine, "SEC-2025-007")
    for path in sorted(sites.site[engine].rglob("*.html")):
        page = path.read_text(encoding="utf-8")
        assert html_payloads(page, MARKS) == [], (engine, path)
        for anchor in re.findall(r'\sid="([^"]*)"', page):
            assert re.fullmatch(r"[A-Za-z0-9_.:/-]*", anchor), (engine, path, anchor)


def test_properdocs_builds_the_same_html_as_mkdocs(sites: Sites) -> None:
    """ProperDocs is a drop-in fork: only its generator tag differs on incident pages."""
    for incident_id in sites.ids:
        ours, theirs = (
            re.sub(r'<meta name="generator"[^>]*>', "", _incident(sites, engine, incident_id))
            for engine in ("mkdocs", "properdocs")
        )
        assert ours == theirs, incident_id


def test_rendered_bodies_are_html_blocks_already_sanitised(sites: Sites) -> None:
    rendered = sites.site["zensical"].parent / "docs" / "incidents" / "sec-2025-007.md"
    markdown = rendered.read_text(encoding="utf-8")
    assert '<div class="pmkb-body">' in markdown
    assert "<script" not in markdown and html_payloads(markdown, MARKS) == []


def test_body_renderer_uses_the_site_extensions_and_safe_ids() -> None:
    renderer = BodyRenderer(("toc", "tables", "fenced_code", "admonition"), {})
    body = '!!! note\n    Noted.\n\n### Café {id="x" onclick="pmkb-xss()"}\n\n<script>1</script>'
    page = "# Title\n\n" + fence_body(body)
    out = renderer.page(page)
    assert out.startswith('# Title\n\n<div class="pmkb-body">\n')
    assert '<div class="admonition note">' in out
    assert "<script" not in out and html_payloads(out, MARKS) == []
    ids = re.findall(r'<h3 id="([^"]*)"', out)
    assert len(ids) == 1 and re.fullmatch(r"[A-Za-z0-9_.:/-]+", ids[0])


def _render(project: Path, out: Path, *options: str) -> tuple[int, str]:
    stderr = io.StringIO()
    with contextlib.chdir(project), contextlib.redirect_stderr(stderr):
        status = main(["-f", "mkdocs.yml", "render", "--out", str(out), *options])
    return status, stderr.getvalue()


def _tree(folder: Path) -> dict[str, bytes]:
    files = (path for path in folder.rglob("*") if path.is_file())
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in files}


def test_pages_rendered_in_workers_are_byte_identical_to_serial(project: Path) -> None:
    copy_examples(project)
    serial, parallel = project / "serial", project / "parallel"
    assert _render(project, serial, "--jobs", "1")[0] == 0
    assert _render(project, parallel, "--jobs", "3")[0] == 0
    assert _tree(serial) == _tree(parallel)
    assert len([p for p in _tree(serial) if p.startswith("incidents/inc-")]) == 18


@pytest.mark.parametrize("directory_urls", [True, False], ids=["x/", "x.html"])
def test_navigation_rendered_once_gives_every_page_the_html_it_had(
    project: Path, monkeypatch: pytest.MonkeyPatch, directory_urls: bool
) -> None:
    """engines/mkdocs/navigation.py: the theme's navigation partial, rendered once per folder
    and active items for the pages outside the nav, leaves every file of the site as it was."""
    copy_examples(project)
    # Outside the nav, in the incident pages' folder, without their active Incidents tab.
    (project / "docs" / "incidents").mkdir(parents=True, exist_ok=True)
    (project / "docs" / "incidents" / "numbering.md").write_text("# How incidents are numbered\n")
    config = project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + f"use_directory_urls: {str(directory_urls).lower()}\n"
    )
    installed: list[navigation.NavigationOnce] = []
    install = navigation.NavigationOnce.install

    def spying(env: Any) -> navigation.NavigationOnce | None:
        once = install(env)
        installed.extend([once] if once is not None else [])
        return once

    monkeypatch.setattr(navigation.NavigationOnce, "install", staticmethod(spying))
    once = build_in_process(project)
    assert once.returncode == 0, once.log
    with_once = _tree(once.site)
    monkeypatch.setattr(navigation.NavigationOnce, "install", staticmethod(lambda env: None))
    afresh = build_in_process(project)
    assert afresh.returncode == 0, afresh.log
    assert with_once == _tree(afresh.site)
    pages = [path for path in with_once if path.endswith(".html")]
    incident_pages = [path for path in pages if path.startswith("incidents/inc-")]
    assert len(incident_pages) == 18
    [used] = installed
    # Each page in the nav, and once per folder and active items for the others.
    assert 0 < used.rendered < len(pages) - len(incident_pages)


@pytest.mark.parametrize(
    ("jobs", "body"),
    [("1", "[" * 6000), ("2", "[" * 6000), ("2", "- " * 2000 + "x")],
    ids=["slow-serial", "slow-workers", "too-deep-workers"],
)
def test_a_pathological_body_is_an_error_naming_its_file(
    project: Path, jobs: str, body: str
) -> None:
    """Python-Markdown takes ~9 s on 6,000 `[` and recurses too deep on 2,000 list markers."""
    copy_examples(project)
    slow = project / "postmortems" / "SEC-2025-050.md"
    slow.write_text(post_mortem("SEC-2025-050", f"Before.\n\n{body}\n"))
    started = time.monotonic()
    options = ("--jobs", jobs, "--page-budget", "1", "--strict")
    status, log = _render(project, project / "out", *options)
    assert time.monotonic() - started < 30
    assert status == 1
    errors = [line for line in log.splitlines() if "SEC-2025-050.md" in line]
    assert len(errors) == 1 and "postmortem: error:" in errors[0], log
    page = (project / "out" / "incidents" / "sec-2025-050.md").read_text()
    assert body[:8] not in page and "Not shown:" in page
    example = (project / "out" / "incidents" / "inc-2025-007.md").read_text()
    assert '<div class="pmkb-body">' in example and "Not shown:" not in example


def test_the_engine_config_builds_the_tree_without_the_plugin(project: Path) -> None:
    config = project / "mkdocs.yml"
    snippets = "  - pymdownx.snippets:\n      base_path: !relative $config_dir/snippets\n"
    text = config.read_text().replace("markdown_extensions:\n", f"markdown_extensions:\n{snippets}")
    config.write_text(text)
    assert _render(project, project / "build" / "docs", "--engine-config", "build/x.yml")[0] == 0
    written = yaml.safe_load((project / "build" / "x.yml").read_text())
    assert written["docs_dir"] == "docs" and written["site_dir"] == "site"
    assert "postmortem-kb" not in str(written["plugins"])
    assert written["extra_css"][-1].endswith(".css")
    assert (project / "build" / "docs" / written["extra_css"][-1]).is_file()
    assert (project / "build" / written["theme"]["custom_dir"]).resolve() == project / "overrides"
    [settings] = [e for e in written["markdown_extensions"] if "pymdownx.snippets" in e]
    assert settings["pymdownx.snippets"]["base_path"] == str(project / "snippets")


@pytest.mark.parametrize("out", [".", "docs", "postmortems", "docs/build", ".."])
def test_render_never_empties_a_source_folder(project: Path, out: str) -> None:
    copy_examples(project)
    before = _tree(project / "docs"), _tree(project / "postmortems")
    status, log = _render(project, project / out)
    assert status == 2 and "--out" in log
    assert (_tree(project / "docs"), _tree(project / "postmortems")) == before
