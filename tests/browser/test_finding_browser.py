"""Finding and learning in a real browser: search, explorer filters, related links, lessons."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import EXAMPLES  # tests/conftest.py
from postmortem_kb.core.corpus import load_corpus
from postmortem_kb.render.search_index import stem

from browser.conftest import (
    ARTIFACTS,
    FIXTURE_INCIDENTS,
    Results,
    Site,
    open_search,
    screenshot,
    search_bytes,
    search_results,
)

pytestmark = pytest.mark.browser


def search(page: Any, site: Site, query: str, filters: dict[str, str] | None = None) -> Results:
    """The site's search for `query` (and filters), from a guide page."""
    open_search(page, site.page_url("guide/writing/"))
    return search_results(page, query, filters)


def explorer_rows(page: Any) -> list[str]:
    """The incident ids of the explorer's rendered rows, in order."""
    return page.eval_on_selector_all(
        "#pmkb-explorer tbody tr td:first-child a", "links => links.map(a => a.textContent)"
    )


def test_a_page_view_downloads_nothing_of_search(page: Any, site: Site) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(site.page_url("incidents/brw-2025-902/"))
    page.wait_for_load_state("networkidle")
    assert page.locator("input.pmkb-search__input").count() == 1
    assert not [url for url in requests if "search" in urlsplit(url).path], requests
    page.keyboard.press("/")  # the shortcut focuses the box, which loads the script
    page.wait_for_selector(".pmkb-search[data-state=ready]")
    assert page.evaluate("document.activeElement.classList.contains('pmkb-search__input')")
    assert any(url.endswith("/assets/postmortem-kb/search.js") for url in requests), requests


def test_search_puts_the_incident_first_for_its_id_and_title(page: Any, site: Site) -> None:
    found = search(page, site, "BRW-2025-902")
    assert found.paths == ["/incidents/brw-2025-902"], found  # an id lists its incident only
    screenshot(page, "search-by-id")
    open_search(page, site.page_url(""))
    for typed in ("inc-2025-7", "INC-2025-0007", "Inc-2025-007"):
        found = search_results(page, typed)
        assert found.paths == ["/incidents/inc-2025-007"], (typed, found)
    found = search_results(page, FIXTURE_INCIDENTS["BRW-2025-901"]["title"])
    assert found.paths[0] == "/incidents/brw-2025-901", found
    assert all("explorer" not in p and p != "/incidents" for p in found.paths), found
    ARTIFACTS.mkdir(exist_ok=True)
    figures = {"title_query_ms": found.ms, "bytes_so_far": search_bytes(page)}
    (ARTIFACTS / "search.json").write_text(json.dumps(figures, indent=2) + "\n")
    assert found.ms < 5000


def test_search_finds_every_example_incident_by_its_id_first(page: Any, site: Site) -> None:
    corpus = load_corpus(EXAMPLES)
    assert corpus.incidents
    open_search(page, site.page_url(""))
    for incident in corpus.incidents:
        found = search_results(page, incident.id)
        assert found.paths == [f"/incidents/{incident.key}"], (incident.id, found)


def test_search_finds_by_service_and_lesson_and_action_text(page: Any, site: Site) -> None:
    found = search(page, site, "reconciler")  # a service only BRW-2025-902 runs on
    assert found.paths[0] == "/incidents/brw-2025-902", found
    found = search_results(page, "budget back-off")  # words of BRW-2025-902's lesson
    assert found.paths[0] == "/incidents/brw-2025-902", found
    first = page.locator(".pmkb-search__result").first
    snippet = first.locator(".pmkb-search__snippet").inner_text()
    assert snippet.startswith("Lessons learned:") and "budget" in snippet, snippet
    summary = first.locator(".pmkb-search__summary").inner_text()
    assert summary.startswith("A configuration change"), summary  # the summary, not the card
    marks = first.locator("mark").all_inner_texts()
    assert {m.lower() for m in marks} == {"budget", "back"}, marks  # "off": a stop word
    found = search_results(page, "token bucket")  # BRW-2025-902's own action item
    assert found.paths[0] == "/incidents/brw-2025-902", found


def test_search_filters_by_facets(page: Any, site: Site) -> None:
    found = search(page, site, "zebra", {"severity": "SEV-1", "service": "zebra-queue"})
    assert sorted(found.paths) == sorted(f"/incidents/{i.lower()}" for i in FIXTURE_INCIDENTS)
    found = search_results(page, "zebra", {"status": "published"})
    assert sorted(found.paths) == ["/incidents/brw-2025-901", "/incidents/brw-2025-902"]
    assert found.count == 2
    found = search_results(page, "", {"service": "reconciler"})  # filters alone list incidents
    assert found.paths == ["/incidents/brw-2025-902"]
    screenshot(page, "search-facets")


def test_search_result_page_highlights_the_words(page: Any, site: Site) -> None:
    found = search(page, site, "token bucket")
    page.locator(".pmkb-search__link").first.click()
    page.wait_for_url("**/incidents/brw-2025-902/?h=*")
    page.wait_for_selector("html[data-pmkb-highlighted]")
    marks = page.locator("article mark.pmkb-hit").all_inner_texts()
    assert marks and {m.lower() for m in marks} == {"token", "bucket"}, marks
    assert found.hrefs[0].endswith("?h=token%20bucket")
    screenshot(page, "search-highlight")


def test_search_by_keyboard_in_light_and_dark(page: Any, site: Site) -> None:
    for scheme, dark in (("default", False), ("slate", True)):
        page.goto(site.page_url("guide/writing/"))
        # What the palette toggle sets (Material keeps the choice across pages).
        page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
        page.keyboard.press("/")
        page.wait_for_selector(".pmkb-search[data-state=ready]")
        page.keyboard.type("zebra queue")
        page.wait_for_selector(".pmkb-search__result a")
        page.wait_for_function(
            "document.querySelector('.pmkb-search').getAttribute('data-done')"
            " === document.querySelector('.pmkb-search').getAttribute('data-run')"
        )
        rgb = page.evaluate(
            "getComputedStyle(document.querySelector('.pmkb-search__panel')).backgroundColor"
        )
        channels = [int(c) for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
        assert (sum(channels) < 300) is dark, (scheme, rgb)
        screenshot(page, f"search-{scheme}")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    second = page.locator(".pmkb-search__result").nth(1)
    assert second.get_attribute("aria-selected") == "true"
    href = second.locator("a").get_attribute("href")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")
    page.wait_for_selector("html[data-pmkb-highlighted]")


def test_js_stemmer_agrees_with_the_index_builder(page: Any, site: Site) -> None:
    corpus = load_corpus(EXAMPLES)
    words = {w for i in corpus.incidents for w in re.findall(r"[^\W_]+", i.document.body.lower())}
    words |= set(STEM_CASES)
    open_search(page, site.page_url(""))
    ordered = sorted(words)
    js = page.evaluate("words => words.map(w => window.pmkbSearch.stem(w))", ordered)
    python = [stem(w) for w in ordered]
    differ = [(w, p, j) for w, p, j in zip(ordered, python, js, strict=True) if p != j]
    assert not differ, differ[:20]
    assert len(ordered) > 500


STEM_CASES = tuple(
    [
        "caresses",
        "ponies",
        "ties",
        "caress",
        "cats",
        "feed",
        "agreed",
        "disabled",
        "matting",
        "mating",
        "meeting",
        "milling",
        "messing",
        "meetings",
        "happy",
        "sky",
        "relational",
        "conditional",
        "rational",
        "valenci",
        "hesitanci",
        "digitizer",
        "conformabli",
        "radicalli",
        "differentli",
        "vileli",
        "analogousli",
        "vietnamization",
        "predication",
        "operator",
        "feudalism",
        "decisiveness",
        "hopefulness",
        "callousness",
        "formaliti",
        "sensitiviti",
        "sensibiliti",
        "triplicate",
        "formative",
        "formalize",
        "electriciti",
        "electrical",
        "hopeful",
        "goodness",
        "revival",
        "allowance",
        "inference",
        "airliner",
        "gyroscopic",
        "adjustable",
        "defensible",
        "irritant",
        "replacement",
        "adjustment",
        "dependent",
        "adoption",
        "homologou",
        "communism",
        "activate",
        "angulariti",
        "homologous",
        "effective",
        "bowdlerize",
        "probate",
        "rate",
        "cease",
        "controll",
        "roll",
        "lay",
        "try",
        "ies",
        "y",
        "by",
        "sses",
        "abc",
        "xyz",
        "0902",
        "a1b2",
    ]
)
"""Words through every step of the Porter stemmer (its paper's examples), and edge cases."""


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
