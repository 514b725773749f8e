"""What readers see on the example site's pages: layout (sidebar, tab, breadcrumb, table boxes),
recurrences made visible, action items for managers."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import REFERENCE_EPOCH, Build, build_in_process, copy_examples, make_project


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The example site, built once for the module."""
    project = make_project(tmp_path_factory.mktemp("readers"))
    copy_examples(project)
    build = build_in_process(project)
    assert build.returncode == 0, build.log
    return build


def primary_sidebar_hidden(html: str) -> bool:
    tag = re.search(r'<div class="md-sidebar md-sidebar--primary"[^>]*>', html)
    assert tag is not None
    return " hidden" in tag.group(0)


def active_tab(html: str) -> str | None:
    """The href of the highlighted navigation tab, if any."""
    match = re.search(r'md-tabs__item--active">\s*<a href="([^"]*)"', html)
    return match.group(1) if match else None


def test_generated_pages_outside_the_nav_hide_the_empty_sidebar(site: Build) -> None:
    for url in ("incidents/inc-2025-007/", "regulations/hipaa/", "services/cdn/"):
        assert primary_sidebar_hidden(site.page(url)), url
    owners = sorted((site.site / "action-items").glob("*/index.html"))
    assert owners and primary_sidebar_hidden(owners[0].read_text(encoding="utf-8"))
    # Pages in the nav keep it (a section's pages are listed there).
    for url in ("", "trends/", "trends/2025-q1/", "regulations/"):
        assert not primary_sidebar_hidden(site.page(url)), url


def test_incident_pages_light_up_the_incidents_tab_and_have_a_breadcrumb(site: Build) -> None:
    html = site.page("incidents/inc-2025-007/")
    assert active_tab(html) == "../"  # incidents/, the Incidents tab
    crumb = re.search(r'<nav class="pmkb-breadcrumb" aria-label="Breadcrumb">(.*?)</nav>', html)
    assert crumb is not None
    assert re.findall(r'href="([^"]+)"', crumb.group(1)) == ["../", "../../severities/sev-1/"]
    assert '<span aria-current="page">INC-2025-007</span>' in crumb.group(1)
    # The highlight is for incident pages only: it does not leak into the next page rendered.
    assert active_tab(site.page("regulations/hipaa/")) is None
    assert active_tab(site.page("incidents/inc-2024-018/")) == "../"


def test_every_generated_table_sits_in_its_own_scrolling_box(site: Build) -> None:
    pages = [Path("incidents/inc-2025-007/index.html"), Path("trends/index.html")]
    pages += [Path("action-items/index.html"), Path("explorer/index.html")]
    for page in pages:
        html = (site.site / page).read_text(encoding="utf-8")
        tables = re.findall(r'(.{0,60})<table class="pmkb-', html)
        assert tables, page
        for before in tables:
            assert before.endswith('<div class="pmkb-scroll" tabindex="0">'), (page, before)


def rows_of(html: str, section: str) -> list[str]:
    """The <tr> elements of the first table after the heading with id `section`."""
    start = html.index(f'id="{section}"')
    table = html[start : html.index("</table>", start)]
    return re.findall(r"<tr [^>]*data-(?:action|status)=.*?</tr>", table, re.DOTALL)


def test_overdue_items_show_days_overdue_and_priority_most_overdue_first(site: Build) -> None:
    html = site.page("action-items/")
    head = html[html.index('id="overdue"') :]
    head = head[: head.index("</thead>")]
    assert ">Days overdue<" in head and ">Priority<" in head and ">Owner<" in head
    rows = rows_of(html, "overdue")
    assert rows
    reference = dt.datetime.fromtimestamp(int(REFERENCE_EPOCH), dt.UTC).date()
    days = []
    for row in rows:
        due = dt.date.fromisoformat(re.search(r"<td>(\d{4}-\d\d-\d\d)", row).group(1))  # type: ignore[union-attr]
        shown = int(re.search(r'data-figure="days-overdue">(\d+)<', row).group(1))  # type: ignore[union-attr]
        assert shown == (reference - due).days > 0
        assert re.search(r'data-figure="priority">P[0-3]<', row)
        days.append(shown)
    assert days == sorted(days, reverse=True)


def test_owners_are_listed_most_overdue_first(site: Build) -> None:
    counts = [
        int(re.search(r'data-figure="overdue">(\d+)<', row).group(1))  # type: ignore[union-attr]
        for row in rows_of(site.page("action-items/"), "by-owner")
    ]
    assert len(counts) > 3 and counts[0] > 0
    assert counts == sorted(counts, reverse=True)


def test_a_recurrence_says_so_and_links_what_it_repeats(site: Build) -> None:
    html = site.page("incidents/inc-2025-044/")  # recurrence_of: INC-2024-033
    card = html[html.index('class="pmkb-card ') : html.index("</dl>")]
    link = '<a href="../inc-2024-033/">INC-2024-033</a>'
    assert 'data-recurrence-of="INC-2024-033"' in card and f"A repeat of {link}" in card
    # "completes INC-2024-033 AI-3" in an action item links to that action item.
    assert '(completes <a href="../inc-2024-033/#action-ai-3">INC-2024-033 AI-3</a>)' in html
    assert 'id="action-ai-3"' in site.page("incidents/inc-2024-033/")
    assert "data-recurrence-of" not in site.page("incidents/inc-2024-033/")
    # The "Repeat of" cell of the incident tables is a link.
    quarter = site.page("trends/2025-q4/")
    row = re.search(r'<tr data-incident="INC-2025-044">.*?</tr>', quarter, re.DOTALL)
    assert row is not None
    assert row.group(0).endswith(
        '<a href="../../incidents/inc-2024-033/">INC-2024-033</a></td></tr>'
    )


def test_the_onboarding_path_lists_the_incident_a_recurrence_repeats_first(site: Build) -> None:
    html = site.page("lessons/")
    start = html.index("Begin with")
    path = html[start : html.index("</ol>", start)]
    items = re.findall(r'<li>\s*<p><a href="\.\./incidents/([^/]+)/"', path)
    assert "inc-2024-033" in items  # not marked onboarding itself
    assert items.index("inc-2024-033") + 1 == items.index("inc-2025-044")
    assert items.count("inc-2024-033") == 1
