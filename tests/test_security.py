"""Security: the hostile corpus (security_corpus.py) built for real and validated by the CLI.

One strict `mkdocs build` and two `postmortem validate` runs over every case of issue 13 (except
generated-page take-over, tested with the page paths): scripts in heading ids and file names,
links out of the folder, workflow commands in log lines. Costs of crafted files: test_dos.py.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import markdown
import pytest
from conftest import ROOT, Build, build_site, with_edit_links
from payloads import html_payloads
from postmortem_kb.core.anchors import safe_anchor, without_heading_attributes
from postmortem_kb.core.corpus import CorpusLoader
from postmortem_kb.core.loader import SAFE_FILE_NAME
from postmortem_kb.core.problems import Problem, printable
from security_corpus import (
    OUTSIDE,
    SECRET,
    SECRET_KEY,
    TOC_BODY,
    Hostile,
    command_lines,
    write_hostile_corpus,
)
from test_cli import run
from test_fuzz import _markdown_config

HREF = re.compile(r"""<a\b[^>]*?\shref=("[^"]*"|'[^']*'|[^\s>]+)""")
MARKS = ("pwned", "pmkb-xss")


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Hostile]:
    project = tmp_path_factory.mktemp("hostile")
    for name in ("docs", "overrides"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    with_edit_links(project)  # the edit links are checked too
    (project / "postmortems").mkdir()
    return project, write_hostile_corpus(project)


@pytest.fixture(scope="module")
def hostile_build(hostile_project: tuple[Path, Hostile]) -> Build:
    project, _ = hostile_project
    return build_site(project)


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


# --- 1. heading ids ---------------------------------------------------------------------------


def _toc_of(body: str) -> list[dict[str, object]]:
    extensions, configs = _markdown_config()
    md = markdown.Markdown(extensions=extensions, extension_configs=configs)
    md.convert(without_heading_attributes(body))
    flat: list[dict[str, object]] = []
    stack = list(md.toc_tokens)  # type: ignore[attr-defined]
    while stack:
        token = stack.pop()
        flat.append(token)
        stack.extend(token["children"])
    return flat


def test_author_heading_attributes_never_reach_the_toc() -> None:
    tokens = _toc_of(TOC_BODY)
    assert len(tokens) == 7
    for token in tokens:
        assert re.fullmatch(r"[a-z0-9_-]+", str(token["id"])), token
        assert "<" not in str(token["name"]), token
    # The attribute lists show as the text the author wrote.
    names = [str(token["name"]) for token in tokens]
    assert any("{id=&#x27;x" in name or "{id='x" in name for name in names), names


def test_safe_anchor_keeps_slugs_and_reduces_anything_else() -> None:
    assert safe_anchor("root-cause_2") == "root-cause_2"
    assert safe_anchor("tag:process") == "tag:process"  # Material's tag anchors stay
    for hostile in ('x"><img src=x onerror=alert(1)>', "a b", "é", "", "#x", "'"):
        assert re.fullmatch(r"[A-Za-z0-9_.:/-]+", safe_anchor(hostile)), hostile


def test_toc_links_of_every_page_are_plain_anchors(hostile_build: Build) -> None:
    page = hostile_build.page("incidents/sec-2025-001/")
    assert "Hostile id" in page and "Own section" in page
    for path in _pages(hostile_build.site):
        html = path.read_text(encoding="utf-8")
        assert html_payloads(html, MARKS) == [], path
        for href in HREF.findall(html):
            target = href.strip("\"'")
            if target.startswith("#"):
                assert re.fullmatch(r"#[A-Za-z0-9_.:/-]*", target), (path, target)


# --- 2. file names ----------------------------------------------------------------------------


def test_unsafe_file_names_are_errors_naming_the_file(hostile_build: Build) -> None:
    assert hostile_build.returncode != 0  # --strict
    for name in (
        'postmortems/quote" onmouseover="window.__pwned=7" x=".md',
        "postmortems/space in name.md",
        "postmortems/line\n::warning::from-a-file-name.md",
        "postmortems/caf\u00e9.md",
    ):
        lines = [line for line in hostile_build.log.splitlines() if printable(name) + ":1:" in line]
        assert lines and "file name not allowed" in lines[0], (name, hostile_build.log)
    edit_links = re.findall(r'href="([^"]*/edit/[^"]*)"', hostile_build.page("incidents/"))
    for path in _pages(hostile_build.site):
        for link in re.findall(r'<a href="([^"]*)" title="Edit this page"', path.read_text()):
            edit_links.append(link)
            assert re.fullmatch(r"[A-Za-z0-9:/._~%-]+", link), link
    assert any("postmortems/SEC-2025-001.md" in link for link in edit_links)


def test_the_file_name_rule() -> None:
    assert SAFE_FILE_NAME.fullmatch("INC-2025-007_v1.2.md")
    for name in ('a".md', "a b.md", "a<b>.md", "a%22.md", ".hidden.md", "a.md.txt", "é.md"):
        assert not SAFE_FILE_NAME.fullmatch(name), name


# --- 4. links out of the folder ---------------------------------------------------------------


def test_links_are_refused_without_naming_or_reading_the_target(
    hostile_project: tuple[Path, Hostile], hostile_build: Build
) -> None:
    _, hostile = hostile_project
    log = hostile_build.log
    for name in ("leak.md", "SEC-2025-004.md", "linked", "passwd.md"):
        lines = [line for line in log.splitlines() if f"postmortems/{name}:1: file:" in line]
        assert lines and "symbolic link" in lines[0], (name, log)
    for leaked in (SECRET, SECRET_KEY, OUTSIDE, "/etc/passwd", "root:x:"):
        assert leaked not in log
    for path in hostile_build.site.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json", ".csv", ".xml", ".js"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            assert SECRET not in text and SECRET_KEY not in text, path
            for incident_id in hostile.unpublished_ids:
                assert incident_id not in text, (path, incident_id)
    assert not (hostile_build.site / "incidents" / "sec-2025-004").exists()
    assert not (hostile_build.site / "incidents" / "sec-2025-005").exists()


def test_links_are_refused_before_any_read(hostile_project: tuple[Path, Hostile]) -> None:
    project, _ = hostile_project
    (project / OUTSIDE / "secret.md").chmod(0)  # reading it would fail with another message
    try:
        corpus = CorpusLoader().load(project / "postmortems", project)
    finally:
        (project / OUTSIDE / "secret.md").chmod(0o644)
    [problem] = [p for p in corpus.problems if p.path == "postmortems/leak.md"]
    assert problem.field == "file" and "symbolic link" in problem.message


# --- 5. log lines -----------------------------------------------------------------------------


def test_build_log_has_no_workflow_commands_or_control_characters(hostile_build: Build) -> None:
    log = hostile_build.log
    assert command_lines(log) == []
    assert "\x1b" not in log and "\r" not in log
    unknown = [line for line in log.splitlines() if "postmortems/SEC-2025-006.md" in line]
    assert any("::error file=pwn.md::injected" in line for line in unknown), log
    # A body's link with a line break in its target is named percent-encoded, on one line.
    assert "link to 'a%0A::error::from-a-link%0D.md'" in log, log


@pytest.mark.parametrize("output", ["text", "github"])
def test_validate_output_has_no_injected_commands(
    hostile_project: tuple[Path, Hostile], output: str
) -> None:
    project, hostile = hostile_project
    result = run(project, "validate", "--format", output)
    assert result.returncode == 1
    for stream in (result.stdout, result.stderr):
        commands = command_lines(stream)
        if output == "github":  # only our own annotations, one per problem
            commands = [c for c in commands if not re.match(r"::(error|warning) file=", c)]
        assert commands == [], stream
        assert "\x1b" not in stream and "\r" not in stream
        for leaked in (SECRET, SECRET_KEY, OUTSIDE):
            assert leaked not in stream
    for display in hostile.failing:
        shown = printable(display)
        if output == "github":
            shown = shown.replace("%", "%25").replace(":", "%3A").replace(",", "%2C")
        assert shown in result.stdout, (display, result.stdout)


def test_every_formatted_problem_is_one_line() -> None:
    problem = Problem("a\n::add-mask::b.md", 1, "k\r\n::stop-commands::t", "v\x1b[2J\u2028\x85")
    formatted = problem.format()
    assert len(formatted.splitlines()) == 1
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", formatted)
    assert "\\n::add-mask::b.md" in formatted and "\\x1b[2J" in formatted
