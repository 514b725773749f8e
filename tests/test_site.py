"""Real `mkdocs build` runs of real post-mortem folders, checked in the HTML and the log."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import (
    EXAMPLE,
    EXAMPLES,
    Build,
    build_in_process,
    build_site,
    copy_examples,
    make_project,
    with_edit_links,
)


def test_example_site_builds_strict_with_one_page_per_file(project: Path) -> None:
    assert "\nrepo_url:" not in (project / "mkdocs.yml").read_text()  # edit links are optional
    with_edit_links(project)
    copies = copy_examples(project)
    build = build_in_process(project)
    assert build.returncode == 0, build.log
    pages = sorted((build.site / "incidents").glob("*/index.html"))
    assert len(pages) == len(copies) >= 1
    html = build.page("incidents/inc-2025-007/")
    for heading in (
        "Executive summary",
        "Incident timeline",
        "Impact assessment",
        "Root cause analysis",
        "Contributing factors",
        "What went well / what went wrong",
        "Action items",
        "Lessons learned",
    ):
        assert f">{heading}<" in html or f">{heading}<a" in html, heading
    assert 'class="pmkb-card' in html
    # The edit link points at the source file, not at a generated docs file.
    assert re.search(
        r'href="https://git.example.org/kb/edit/main/postmortems/INC-2025-007[^"]*\.md"', html
    )


def outside_article(html: str) -> str:
    """The page without its main content: header, tabs, navigation sidebars, footer."""
    start = html.index("<article")
    return html[:start] + html[html.index("</article>", start) :]


def test_incident_pages_stay_out_of_the_navigation(project: Path) -> None:
    # Without an explicit nav MkDocs would list every page; generated incident pages opt out.
    config = (project / "mkdocs.yml").read_text(encoding="utf-8")
    (project / "mkdocs.yml").write_text(config.split("\nnav:")[0], encoding="utf-8")
    shutil.copy(EXAMPLE, project / "postmortems" / "a.md")
    build = build_in_process(project)
    assert build.returncode == 0, build.log
    for url in ("", "incidents/", "incidents/inc-2025-007/"):
        nav_links = re.findall(
            r'<a [^>]*href="(?!#)[^"]*inc-2025-007', outside_article(build.page(url))
        )
        assert nav_links == [], url
    assert "incidents/inc-2025-007/" in build.page("")  # linked from the home page content


@pytest.fixture(scope="module")
def one_example(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The site of the valid example alone, built once for the tests that only read it."""
    project = make_project(tmp_path_factory.mktemp("one-example"))
    shutil.copy(EXAMPLE, project / "postmortems" / "a.md")
    build = build_in_process(project)
    assert build.returncode == 0, build.log
    return build


def test_summary_card_shows_derived_metrics(one_example: Build) -> None:
    build = one_example
    card = build.page("incidents/inc-2025-007/").split('class="pmkb-card', 1)[1].split("</dl>")[0]
    # started 14:02, detected 14:09, mitigated 15:41, resolved 16:00 (all UTC)
    assert re.search(r"TTD</abbr></dt>\s*<dd>7 min<", card)
    assert re.search(r"TTM</abbr></dt>\s*<dd>1 h 32 min<", card)
    assert re.search(r"TTR</abbr></dt>\s*<dd[^>]*>1 h 51 min<", card)
    # Impact duration: started 14:02 -> mitigated 15:41 (not resolved 16:00).
    assert re.search(r"Impact duration</abbr></dt>\s*<dd[^>]*>1 h 39 min<", card)
    assert "SEV-1" in card and "PCI-DSS" in card and "checkout-api" in card


def test_broken_files_fail_strict_build_and_valid_ones_still_render(project: Path) -> None:
    shutil.copy(EXAMPLE, project / "postmortems" / "good.md")
    text = EXAMPLE.read_text(encoding="utf-8")
    (project / "postmortems" / "typo.md").write_text(
        text.replace("id: INC-2025-007", "id: INC-2025-008").replace("severity:", "severty:"),
        encoding="utf-8",
    )
    (project / "postmortems" / "yaml.md").write_text("---\ntitle: [unclosed\n---\n")
    (project / "postmortems" / "later-dup.md").write_text(text, encoding="utf-8")
    build = build_site(project)
    assert build.returncode != 0
    assert "Traceback" not in build.log
    assert re.search(
        r"postmortems/typo\.md:\d+: severty: unknown field; did you mean 'severity'", build.log
    )
    assert "required field is missing" not in build.log  # the misspelt key is one error
    assert re.search(r"postmortems/yaml\.md:\d+: front matter: YAML error", build.log)
    assert re.search(
        r"postmortems/later-dup\.md:2: id: duplicate id 'INC-2025-007':"
        r" already used by postmortems/good\.md",
        build.log,
    )
    assert "Aborted with" in build.log
    # The valid post-mortem still got its page.
    assert "Checkout unavailable" in build.page("incidents/inc-2025-007/")


def test_an_html_block_left_open_stays_in_its_section(project: Path) -> None:
    opened = "<details><summary>Pool settings</summary>"
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "## Root cause analysis", f"{opened}\n\nmax_connections: 20\n\n## Root cause analysis"
    )
    (project / "postmortems" / "a.md").write_text(text, encoding="utf-8")
    build = build_in_process(project)
    assert build.returncode == 0, build.log  # a warning, not an error
    line = text.split("\n").index(opened) + 1
    assert (
        f"postmortems/a.md:{line}: body: <details> is not closed before the section ends:"
        " add </details>, or the rest of the section shows as HTML source [unclosed-html]"
    ) in build.log
    article = build.page("incidents/inc-2025-007/").split("<article", 1)[1]
    details = article.split("<details>", 1)[1].split("</details>", 1)[0]
    assert "max_connections: 20" in details and "Root cause analysis" not in details
    # The page's own sections after it are still Markdown: real headings, no Markdown source.
    assert '<h2 id="root-cause-analysis"' in article and '<h2 id="action-items"' in article
    assert "\n## " not in article


def test_front_matter_text_is_escaped_in_html(project: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    payload = "<script>alert(1)</script>"
    text = text.replace("title: Checkout unavailable", f'title: "{payload} *Checkout* unavailable')
    text = re.sub(r"(title: \"<script>.*)$", r'\1"', text, count=1, flags=re.M)
    text = text.replace(
        "    action: Add a rendered-diff step to the config pipeline.",
        f"    action: '{payload}<img src=x onerror=alert(2)>'",
    )
    (project / "postmortems" / "a.md").write_text(text, encoding="utf-8")
    build = build_in_process(project)
    assert build.returncode == 0, build.log
    for page in build.site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html, page
        assert "<img src=x" not in html, page
    html = build.page("incidents/inc-2025-007/")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<em>Checkout</em>" not in html  # titles are text, not Markdown


def test_example_corpus_is_the_documented_one() -> None:
    assert len(list(EXAMPLES.glob("*.md"))) >= 1


def test_templates_can_be_overridden_from_the_overrides_folder(project: Path) -> None:
    shutil.copy(EXAMPLE, project / "postmortems" / "a.md")
    partial = project / "overrides" / "postmortem_kb" / "partials" / "card.html.j2"
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_text('<div class="our-card">{{ pm.id }} / {{ pm.title }}</div>\n')
    build = build_in_process(project)
    assert build.returncode == 0, build.log
    html = build.page("incidents/inc-2025-007/")
    assert '<div class="our-card">INC-2025-007 / Checkout unavailable' in html
    assert 'class="pmkb-card' not in html


def test_plugin_works_in_a_bare_site(tmp_path: Path) -> None:
    """Another repository: only the theme and the plugin, no nav, no guide pages, no overrides."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "postmortems").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "postmortems" / "a.md")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Bare\ntheme:\n  name: material\nplugins:\n  - search\n  - postmortem-kb\n",
        encoding="utf-8",
    )
    build = build_in_process(tmp_path)
    assert build.returncode == 0, build.log
    assert "Checkout unavailable" in build.page("incidents/inc-2025-007/")
    assert "guide/data" not in build.page("trends/")


def test_quarter_pages_join_the_trends_section_of_the_nav(one_example: Build) -> None:
    html = one_example.page("trends/")
    sidebar = html[html.index("md-nav--primary") : html.index("md-sidebar--secondary")]
    links = re.findall(r'href="([^"#]*)"[^>]*>\s*(?:<span[^>]*>)?\s*([^<]+?)\s*<', sidebar)
    titles = [title for href, title in links]
    # The Trends section lists its overview, then the generated quarter pages, in order.
    # One incident in 2025-Q1 and a reference date in 2025-Q4: four quarters, Q3 being empty.
    start = titles.index("Overview")
    assert titles[start + 1 : start + 6] == [
        "Quarter 2025-Q1",
        "Quarter 2025-Q2",
        "Quarter 2025-Q3",
        "Quarter 2025-Q4 (to date)",  # the reference date's quarter: partial
        "Action items",
    ]
