"""Finding and learning in a real browser: search, explorer filters, related links, lessons."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import EXAMPLES  # tests/conftest.py
from postmortem_kb.core.corpus import load_corpus

from browser.conftest import ARTIFACTS, FIXTURE_INCIDENTS, Site, screenshot

pytestmark = pytest.mark.browser


INDEX_READY_MS: list[float] = []
"""Milliseconds from navigation start until Material's search index was ready, per search."""


def search(page: Any, site: Site, query: str) -> tuple[list[str], float]:
    """Type `query` into Material's search box; return result paths (best first) and the seconds
    from the keystroke to the first result shown."""
    page.goto(site.page_url("guide/writing/"))
    box = page.locator("input.md-search__input")
    box.click()
    # Material shows "Initializing search" until its worker has built the index.
    page.wait_for_function(
        "document.querySelector('.md-search-result__meta').textContent.trim()"
        " !== 'Initializing search'",
        timeout=20000,
    )
    INDEX_READY_MS.append(page.evaluate("performance.now()"))
    # Material searches on keyup: set the whole query, then one keyup, so the first results shown
    # are those of the full query (typing it key by key shows results of its prefixes first).
    box.fill(query)
    started = time.perf_counter()
    box.press("End")
    page.wait_for_selector(".md-search-result__item a.md-search-result__link", timeout=15000)
    elapsed = time.perf_counter() - started
    hrefs = page.eval_on_selector_all(
        ".md-search-result__list > .md-search-result__item > a.md-search-result__link",
        "links => links.map(a => a.getAttribute('href'))",
    )
    return [urlsplit(href).path.rstrip("/") for href in hrefs], elapsed


def explorer_rows(page: Any) -> list[str]:
    """The incident ids of the explorer's rendered rows, in order."""
    return page.eval_on_selector_all(
        "#pmkb-explorer tbody tr td:first-child a", "links => links.map(a => a.textContent)"
    )


def test_search_puts_the_incident_first_for_its_id_and_title(page: Any, site: Site) -> None:
    hrefs, elapsed = search(page, site, "BRW-2025-902")
    assert hrefs[0].endswith("incidents/brw-2025-902"), hrefs
    screenshot(page, "search-by-id")
    hrefs, _ = search(page, site, FIXTURE_INCIDENTS["BRW-2025-901"]["title"])
    assert hrefs[0].endswith("incidents/brw-2025-901"), hrefs
    screenshot(page, "search-by-title")
    # No aggregate page (lists, explorer, lessons) is in the results: each incident appears once.
    assert all("/incidents/index" not in h and "explorer" not in h for h in hrefs), hrefs
    index = site.root / "search" / "search_index.json"
    figures = {
        "search_index_bytes": index.stat().st_size,
        "navigation_to_index_ready_ms": max(INDEX_READY_MS),
        "keystroke_to_first_result_s": elapsed,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "search.json").write_text(json.dumps(figures, indent=2) + "\n")
    assert elapsed < 15


def test_search_finds_every_example_incident_by_its_id_first(page: Any, site: Site) -> None:
    corpus = load_corpus(EXAMPLES)
    assert corpus.incidents
    for incident in corpus.incidents:
        hrefs, _ = search(page, site, incident.id)
        assert hrefs and hrefs[0].endswith(f"incidents/{incident.key}"), (
            incident.id,
            hrefs[:3],
        )


def test_search_finds_by_service_and_lesson_and_action_text(page: Any, site: Site) -> None:
    hrefs, _ = search(page, site, "reconciler")  # a service only BRW-2025-902 runs on
    assert any(h.endswith("brw-2025-902") for h in hrefs), hrefs
    hrefs, _ = search(page, site, "budget back-off")  # words of BRW-2025-902's lesson
    assert hrefs[0].endswith("brw-2025-902"), hrefs
    hrefs, _ = search(page, site, "token bucket")  # BRW-2025-902's own action item
    assert hrefs[0].endswith("brw-2025-902"), hrefs


def test_explorer_filters_rows(page: Any, site: Site) -> None:
    data = json.loads((site.root / "data" / "explorer.json").read_text(encoding="utf-8"))
    total = len(data["rows"])
    page.goto(site.page_url("explorer/"))
    page.wait_for_selector("#pmkb-explorer[data-state=ready]")
    assert page.inner_text(".pmkb-explorer__count") == f"{total} incidents"
    assert len(explorer_rows(page)) == min(total, 100)
    screenshot(page, "explorer")

    page.select_option("select[name=severity]", "SEV-1")
    sev1 = [r[0] for r in data["rows"] if data["severities"][r[4]] == "SEV-1"]
    page.wait_for_function(
        f"document.querySelectorAll('#pmkb-explorer tbody tr').length == {len(sev1)}"
    )
    assert explorer_rows(page) == sev1
    severities = page.eval_on_selector_all(
        "#pmkb-explorer tbody tr td:nth-child(3)", "cells => cells.map(c => c.textContent)"
    )
    assert set(severities) == {"SEV-1"}
    assert page.inner_text(".pmkb-explorer__count") == f"{len(sev1)} of {total} incidents"

    page.select_option("select[name=severity]", "")
    page.select_option("select[name=service]", "zebra-queue")
    page.fill("input[name=q]", "reconciler")
    page.wait_for_function("document.querySelectorAll('#pmkb-explorer tbody tr').length == 2")
    assert sorted(explorer_rows(page)) == ["BRW-2025-901", "BRW-2025-902"]
    screenshot(page, "explorer-filtered")

    # The address keeps the filters: reloading it shows the same rows.
    assert "service=zebra-queue" in page.url and "q=reconciler" in page.url
    page.goto(page.url)
    page.reload()
    page.wait_for_selector("#pmkb-explorer[data-state=ready]")
    assert sorted(explorer_rows(page)) == ["BRW-2025-901", "BRW-2025-902"]


def test_explorer_shows_markup_in_titles_as_text(page: Any, site: Site) -> None:
    page.goto(site.page_url("explorer/#q=markup"))
    page.wait_for_selector("#pmkb-explorer[data-state=ready]")
    assert explorer_rows(page) == ["BRW-2025-903"]
    cell = page.locator("#pmkb-explorer tbody tr td:first-child")
    assert "Markup <b>stays</b> text & is escaped" in cell.inner_text()
    assert cell.locator("b").count() == 0


def test_related_link_is_shown_both_ways_and_followed(page: Any, site: Site) -> None:
    # BRW-2025-902 lists BRW-2025-901 as related; 901's page shows 902 without listing it.
    page.goto(site.page_url("incidents/brw-2025-901/"))
    section = page.locator(".pmkb-related")
    section.scroll_into_view_if_needed()
    screenshot(page, "related")
    link = section.locator(".pmkb-related__list--links a", has_text="BRW-2025-902")
    link.click()
    page.wait_for_url("**/incidents/brw-2025-902/")
    assert FIXTURE_INCIDENTS["BRW-2025-902"]["title"] in page.inner_text("h1")
    back = page.locator(".pmkb-related__list--links a", has_text="BRW-2025-901")
    assert back.count() == 1


def test_lessons_page_reading_path(page: Any, site: Site) -> None:
    page.goto(site.page_url("lessons/"))
    assert page.inner_text("h1").startswith("Lessons learned")
    start_links = page.eval_on_selector_all(
        "#start-here ~ ol a", "links => links.map(a => a.textContent)"
    )
    assert any(text.startswith("BRW-2025-901") for text in start_links), start_links
    ids = page.eval_on_selector_all(
        ".pmkb-lesson", "items => items.map(a => a.getAttribute('data-incident-id'))"
    )
    assert "BRW-2025-902" in ids and "BRW-2025-901" in ids
    assert "BRW-2025-903" not in ids  # in review: not on the reading path
    for group in page.locator(".pmkb-lessons-path").all():
        flags = group.locator(".pmkb-lesson").evaluate_all(
            "items => items.map(a => !!a.querySelector('.pmkb-lesson__onboarding'))"
        )
        assert flags == sorted(flags, reverse=True), flags  # onboarding picks first
    screenshot(page, "lessons", full_page=True)
    page.locator(".pmkb-lesson[data-incident-id='BRW-2025-901'] a").first.click()
    page.wait_for_url("**/incidents/brw-2025-901/")
